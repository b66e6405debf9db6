/*
 * satmon.pipeline._telemetry_scan — the batch hot path of the telemetry-writer and of the
 * alarm-evaluator, compiled.
 *
 * scan(body) reads a CloudEvents batch (a JSON array of structured events) as bytes and
 * builds the VictoriaMetrics import lines of every event in the contract's plain shape
 * straight from the text: no Python object per event. It decides exactly what
 * telemetry_writer.fast_sample decides, and only where it is sure; everything else is
 * left to the Python reference path:
 *
 *   returns None            the body is not a JSON array it can delimit (the caller parses
 *                           it as before, so every answer stays the reference's);
 *   returns (lines, n, rest) lines: import lines of the plain events (bytes), n: the
 *                           number of items, rest: [(index, start, end)] the byte spans of
 *                           the items it left to Python (any other shape, escapes,
 *                           non-ASCII, exponents, long numbers, other timestamp forms…).
 *
 * samples(body) reads the same events for the alarm-evaluator: instead of import lines it
 * returns (groups, n, rest), groups: [(satellite, stamps, columns)] per satellite in the
 * order first seen, stamps the samples' times (ms) in arrival order and columns the seven
 * metrics' values (floats, METRICS order) aligned with them; None and rest as for scan().
 *
 * A plain event is parsed strictly (a subset of JSON that orjson reads the same way);
 * the spans of the others are only delimited here, their JSON is judged by orjson.
 * The contract (event type, attribute names, metric names, physical limits) is handed
 * over once by configure() from satmon.pipeline.telemetry_scan, so it is written once.
 * Values are passed through as the producer wrote them (at most 15 digits, no exponent:
 * such a literal and Python's repr of its float name the same double).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define N_METRICS 7
#define N_ATTRS 8
#define MAX_DIGITS 15
#define SAT_MAX 64

/* --- the contract, from configure() ----------------------------------------------- */
typedef struct {
    char *ptr;
    Py_ssize_t len;
} Str;

static int configured = 0;
static Str type_name;                 /* io.satmon.telemetry.v1 */
static Str attr_names[N_ATTRS];       /* id source specversion type time subject datacontenttype partitionkey */
static Str metric_names[N_METRICS];   /* temperature altitude velocity battery solar_power latitude longitude */
static Str series_heads[N_METRICS];   /* {"metric":{"__name__":"satellite_<m>","satellite_id": */
static double coldest, lowest, slowest, fastest, least_voltage;

enum { A_ID, A_SOURCE, A_SPECVERSION, A_TYPE, A_TIME, A_SUBJECT, A_CONTENT_TYPE, A_PARTITIONKEY };

/* --- one plain event ------------------------------------------------------------- */
typedef struct {
    const char *sat;
    Py_ssize_t sat_len;
    int64_t ms;
    const char *value[N_METRICS];
    int value_len[N_METRICS];
    double number[N_METRICS]; /* the same values, read as Python's float() reads them */
    Py_ssize_t next; /* next event of the same satellite, -1 at the end */
} Event;

typedef struct {
    const char *sat;
    Py_ssize_t sat_len;
    uint64_t hash;
    Py_ssize_t first, last;
} Series;

typedef struct {
    Event *events;
    Py_ssize_t n_events, cap_events;
    Series *series; /* in first-seen order */
    Py_ssize_t n_series, cap_series;
    Py_ssize_t *slots; /* open addressing: index into series, -1 empty */
    Py_ssize_t n_slots;
} Table;

static inline const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* A string without escapes, controls or non-ASCII bytes: p at the opening quote. */
static inline const char *plain_string(const char *p, const char *end, Str *out) {
    const char *start = ++p;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            out->ptr = (char *)start;
            out->len = p - start;
            return p + 1;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return NULL;
        p++;
    }
    return NULL;
}

static inline int str_eq(const Str *a, const char *p, Py_ssize_t len) {
    return a->len == len && memcmp(a->ptr, p, (size_t)len) == 0;
}

/* An object member's key and colon, p at the key's quote: p at the value, NULL when the
 * key is not a plain string or no value follows. */
static inline const char *member_key(const char *p, const char *end, Str *key) {
    if (p >= end || *p != '"' || !(p = plain_string(p, end, key)))
        return NULL;
    p = skip_ws(p, end);
    if (p >= end || *p != ':')
        return NULL;
    p = skip_ws(p + 1, end);
    return p < end ? p : NULL;
}

/* After a member's value: p at the comma before the next member or at the closing '}';
 * NULL when neither follows. */
static inline const char *next_member(const char *p, const char *end) {
    p = skip_ws(p, end);
    return p < end && (*p == ',' || *p == '}') ? p : NULL;
}

/* The index of key among names, -1 when it is none of them. */
static inline int find_name(const Str *names, int n, const Str *key) {
    for (int i = 0; i < n; i++)
        if (str_eq(&names[i], key->ptr, key->len))
            return i;
    return -1;
}

static const double POW10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* A JSON number of at most 15 digits and no exponent, as the double Python's float()
 * gives (an exact mantissa divided by an exact power of ten rounds once, correctly).
 * "-0" (the integer) is left to Python: it reads it as 0, the text says -0. */
static inline const char *plain_number(const char *p, const char *end, double *out) {
    const char *start = p;
    int negative = 0, digits = 0, decimals = 0;
    uint64_t mantissa = 0;
    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return NULL;
    if (*p == '0') {
        p++;
        digits = 1;
        if (p < end && *p >= '0' && *p <= '9')
            return NULL; /* leading zero: not JSON */
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            mantissa = mantissa * 10 + (uint64_t)(*p - '0');
            if (++digits > MAX_DIGITS)
                return NULL;
            p++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9') {
            mantissa = mantissa * 10 + (uint64_t)(*p - '0');
            decimals++;
            if (++digits > MAX_DIGITS)
                return NULL;
            p++;
        }
    } else if (negative && mantissa == 0) {
        return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E'))
        return NULL;
    (void)start;
    double v = decimals ? (double)mantissa / POW10[decimals] : (double)mantissa;
    *out = negative ? -v : v;
    return p;
}

static inline int digits_at(const char *s, int n, int *value) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 1;
}

static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS.fffZ" → ms, computed as telemetry_writer._timestamp_ms does
 * (float seconds × 1000, truncated); 0 when it is not that shape or not valid there. */
static int timestamp_ms(const char *s, Py_ssize_t len, int64_t *out) {
    int year, month, day, hour, minute, second, millis;
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.' || s[23] != 'Z')
        return 0;
    if (!digits_at(s, 4, &year) || !digits_at(s + 5, 2, &month) || !digits_at(s + 8, 2, &day) ||
        !digits_at(s + 11, 2, &hour) || !digits_at(s + 14, 2, &minute) ||
        !digits_at(s + 17, 2, &second) || !digits_at(s + 20, 3, &millis))
        return 0;
    if (year < 1971 || year > 9998 || month < 1 || month > 12 || hour > 23 || minute > 59 ||
        second > 59 || day < 1)
        return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > month_days[month - 1] + (month == 2 && leap))
        return 0;
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    int64_t micros = seconds * 1000000 + (int64_t)millis * 1000;
    *out = (int64_t)((double)micros / 1000000.0 * 1000.0);
    return 1;
}

static inline int satellite_ok(const Str *s) {
    if (s->len < 1 || s->len > SAT_MAX)
        return 0;
    for (Py_ssize_t i = 0; i < s->len; i++) {
        char c = s->ptr[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* The "data" object: exactly satellite_id, timestamp and the seven metrics, once each. */
static const char *plain_data(const char *p, const char *end, Event *ev, Str *stamp) {
    unsigned seen = 0;
    double v[N_METRICS];
    Str sat = {0}, key;
    p = skip_ws(p + 1, end); /* an empty object is not plain: member_key refuses '}' */
    for (;;) {
        if (!(p = member_key(p, end, &key)))
            return NULL;
        int slot = find_name(metric_names, N_METRICS, &key);
        if (slot >= 0) {
            if (seen & (1u << slot))
                return NULL;
            seen |= 1u << slot;
            const char *start = p;
            if (!(p = plain_number(p, end, &v[slot])))
                return NULL;
            ev->value[slot] = start;
            ev->value_len[slot] = (int)(p - start);
        } else if (key.len == 12 && memcmp(key.ptr, "satellite_id", 12) == 0) {
            if (seen & (1u << N_METRICS) || *p != '"' || !(p = plain_string(p, end, &sat)))
                return NULL;
            seen |= 1u << N_METRICS;
        } else if (key.len == 9 && memcmp(key.ptr, "timestamp", 9) == 0) {
            if (seen & (1u << (N_METRICS + 1)) || *p != '"' || !(p = plain_string(p, end, stamp)))
                return NULL;
            seen |= 1u << (N_METRICS + 1);
        } else {
            return NULL;
        }
        if (!(p = next_member(p, end)))
            return NULL;
        if (*p == '}')
            break;
        p = skip_ws(p + 1, end);
    }
    if (seen != (1u << (N_METRICS + 2)) - 1)
        return NULL;
    if (!satellite_ok(&sat) || !timestamp_ms(stamp->ptr, stamp->len, &ev->ms))
        return NULL;
    /* temperature altitude velocity battery solar_power latitude longitude */
    if (!(v[5] >= -90.0 && v[5] <= 90.0 && v[6] >= -180.0 && v[6] <= 180.0 && v[0] >= coldest &&
          v[1] >= lowest && v[2] >= slowest && v[2] <= fastest && v[3] >= least_voltage))
        return NULL;
    memcpy(ev->number, v, sizeof v);
    ev->sat = sat.ptr;
    ev->sat_len = sat.len;
    return p + 1;
}

/* One structured event in the plain shape, p at its '{'; NULL when it is not one. */
static const char *plain_event(const char *p, const char *end, Event *ev) {
    unsigned seen = 0;
    Str attr[N_ATTRS], key, stamp = {0};
    int has_data = 0;
    p = skip_ws(p + 1, end); /* an empty object is not plain: member_key refuses '}' */
    for (;;) {
        if (!(p = member_key(p, end, &key)))
            return NULL;
        if (key.len == 4 && memcmp(key.ptr, "data", 4) == 0) {
            if (has_data || *p != '{' || !(p = plain_data(p, end, ev, &stamp)))
                return NULL;
            has_data = 1;
        } else {
            int slot = find_name(attr_names, N_ATTRS, &key);
            if (slot < 0 || (seen & (1u << slot)) || *p != '"' ||
                !(p = plain_string(p, end, &attr[slot])))
                return NULL;
            seen |= 1u << slot;
        }
        if (!(p = next_member(p, end)))
            return NULL;
        if (*p == '}')
            break;
        p = skip_ws(p + 1, end);
    }
    const unsigned required = (1u << A_ID) | (1u << A_SOURCE) | (1u << A_SPECVERSION) | (1u << A_TYPE);
    if (!has_data || (seen & required) != required || attr[A_ID].len == 0 || attr[A_SOURCE].len == 0)
        return NULL;
    if (attr[A_SPECVERSION].len != 3 || memcmp(attr[A_SPECVERSION].ptr, "1.0", 3) != 0)
        return NULL;
    if (!str_eq(&type_name, attr[A_TYPE].ptr, attr[A_TYPE].len))
        return NULL;
    if ((seen & (1u << A_CONTENT_TYPE)) &&
        !(attr[A_CONTENT_TYPE].len == 16 && memcmp(attr[A_CONTENT_TYPE].ptr, "application/json", 16) == 0))
        return NULL;
    if ((seen & (1u << A_TIME)) &&
        !(attr[A_TIME].len == stamp.len && memcmp(attr[A_TIME].ptr, stamp.ptr, (size_t)stamp.len) == 0))
        return NULL; /* another time than the sample's own: Python checks it */
    return p + 1;
}

/* Delimit any JSON value without judging it (orjson will): p at its first byte. */
static const char *skip_value(const char *p, const char *end) {
    Py_ssize_t depth = 0;
    const char *start = p;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\')
                    p++;
                p++;
            }
            if (p >= end)
                return NULL;
            p++;
        } else if (c == '{' || c == '[') {
            depth++;
            p++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break;
            depth--;
            p++;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            break;
        } else {
            p++;
        }
        if (depth == 0 && (c == '"' || c == '}' || c == ']'))
            break;
    }
    if (depth != 0 || p == start)
        return NULL;
    return p;
}

/* --- grouping by satellite ------------------------------------------------------- */
static uint64_t hash_bytes(const char *p, Py_ssize_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* Room for one more item in *items (n used of *cap, doubling from first). */
static int grow(void **items, Py_ssize_t n, Py_ssize_t *cap, Py_ssize_t first, size_t size) {
    if (n < *cap)
        return 0;
    Py_ssize_t more = *cap ? *cap * 2 : first;
    void *grown = PyMem_Realloc(*items, (size_t)more * size);
    if (!grown)
        return -1;
    *items = grown;
    *cap = more;
    return 0;
}

static int table_add(Table *t, const Event *ev) {
    if (grow((void **)&t->events, t->n_events, &t->cap_events, 1024, sizeof(Event)) < 0)
        return -1;
    if ((t->n_series + 1) * 2 > t->n_slots) {
        Py_ssize_t n = t->n_slots ? t->n_slots * 2 : 256;
        Py_ssize_t *slots = PyMem_Malloc((size_t)n * sizeof(Py_ssize_t));
        if (!slots)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++)
            slots[i] = -1;
        for (Py_ssize_t s = 0; s < t->n_series; s++) {
            Py_ssize_t i = (Py_ssize_t)(t->series[s].hash & (uint64_t)(n - 1));
            while (slots[i] >= 0)
                i = (i + 1) & (n - 1);
            slots[i] = s;
        }
        PyMem_Free(t->slots);
        t->slots = slots;
        t->n_slots = n;
    }
    Py_ssize_t index = t->n_events++;
    t->events[index] = *ev;
    t->events[index].next = -1;
    uint64_t h = hash_bytes(ev->sat, ev->sat_len);
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)(t->n_slots - 1));
    while (t->slots[i] >= 0) {
        Series *s = &t->series[t->slots[i]];
        if (s->hash == h && s->sat_len == ev->sat_len && memcmp(s->sat, ev->sat, (size_t)ev->sat_len) == 0) {
            t->events[s->last].next = index;
            s->last = index;
            return 0;
        }
        i = (i + 1) & (t->n_slots - 1);
    }
    if (grow((void **)&t->series, t->n_series, &t->cap_series, 128, sizeof(Series)) < 0)
        return -1;
    t->series[t->n_series] = (Series){ev->sat, ev->sat_len, h, index, index};
    t->slots[i] = t->n_series++;
    return 0;
}

static void table_free(Table *t) {
    PyMem_Free(t->events);
    PyMem_Free(t->series);
    PyMem_Free(t->slots);
}

/* --- the import lines ------------------------------------------------------------ */
typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Buffer;

static int reserve(Buffer *b, Py_ssize_t more) {
    if (b->len + more <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more)
        cap *= 2;
    char *grown = PyMem_Realloc(b->buf, (size_t)cap);
    if (!grown)
        return -1;
    b->buf = grown;
    b->cap = cap;
    return 0;
}

static inline void put(Buffer *b, const char *p, Py_ssize_t len) {
    memcpy(b->buf + b->len, p, (size_t)len);
    b->len += len;
}

static inline void put_int(Buffer *b, int64_t v) {
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        b->buf[b->len++] = '-';
    while (n)
        b->buf[b->len++] = tmp[--n];
}

/* One line per series, as clients.vm.ImportLines writes them:
 * <head>"<sat>"},"values":[...],"timestamps":[...]}\n */
static PyObject *import_lines(const Table *t) {
    Buffer b = {0};
    for (Py_ssize_t s = 0; s < t->n_series; s++) {
        const Series *series = &t->series[s];
        Py_ssize_t count = 0, stamps = 0;
        for (Py_ssize_t e = series->first; e >= 0; e = t->events[e].next)
            count++;
        stamps = count * 21;
        for (int m = 0; m < N_METRICS; m++) {
            Py_ssize_t values = 0;
            for (Py_ssize_t e = series->first; e >= 0; e = t->events[e].next)
                values += t->events[e].value_len[m] + 1;
            if (reserve(&b, series_heads[m].len + series->sat_len + 40 + values + stamps) < 0) {
                PyMem_Free(b.buf);
                return PyErr_NoMemory();
            }
            put(&b, series_heads[m].ptr, series_heads[m].len);
            put(&b, "\"", 1);
            put(&b, series->sat, series->sat_len);
            put(&b, "\"},\"values\":[", 13);
            for (Py_ssize_t e = series->first; e >= 0; e = t->events[e].next) {
                put(&b, t->events[e].value[m], t->events[e].value_len[m]);
                b.buf[b.len++] = ',';
            }
            b.len--; /* the last comma */
            put(&b, "],\"timestamps\":[", 16);
            for (Py_ssize_t e = series->first; e >= 0; e = t->events[e].next) {
                put_int(&b, t->events[e].ms);
                b.buf[b.len++] = ',';
            }
            b.len--;
            put(&b, "]}\n", 3);
        }
    }
    PyObject *out = PyBytes_FromStringAndSize(b.buf ? b.buf : "", b.len);
    PyMem_Free(b.buf);
    return out;
}

/* --- the module ------------------------------------------------------------------ */
/* The batch's plain events into *table, the spans of the others into rest, the number of
 * items into *count: 1 done, 0 not a batch it can delimit (the caller answers None), -1 a
 * Python error. */
static int scan_body(const char *body, const char *end, Table *table, PyObject *rest,
                     Py_ssize_t *count) {
    const char *p = skip_ws(body, end);
    Py_ssize_t index = 0;
    if (p >= end || *p != '[')
        return 0;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        p++;
    } else {
        for (;;) {
            const char *start = p, *after = NULL;
            Event ev;
            if (p < end && *p == '{')
                after = plain_event(p, end, &ev);
            if (after) {
                if (table_add(table, &ev) < 0) {
                    PyErr_NoMemory();
                    return -1;
                }
                p = after;
            } else {
                if (!(p = skip_value(start, end)))
                    return 0;
                PyObject *span = Py_BuildValue("(nnn)", index, start - body, p - body);
                if (!span || PyList_Append(rest, span) < 0) {
                    Py_XDECREF(span);
                    return -1;
                }
                Py_DECREF(span);
            }
            index++;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == ']') {
                p++;
                break;
            }
            return 0;
        }
    }
    if (skip_ws(p, end) != end)
        return 0;
    *count = index;
    return 1;
}

/* Per satellite (sat, stamps, columns), in the order first seen. */
static PyObject *sample_groups(const Table *t) {
    PyObject *groups = PyList_New(t->n_series);
    if (!groups)
        return NULL;
    for (Py_ssize_t s = 0; s < t->n_series; s++) {
        const Series *series = &t->series[s];
        Py_ssize_t count = 0, i;
        for (Py_ssize_t e = series->first; e >= 0; e = t->events[e].next)
            count++;
        PyObject *stamps = PyTuple_New(count), *columns = PyTuple_New(N_METRICS);
        PyObject *sat = PyUnicode_DecodeASCII(series->sat, series->sat_len, NULL);
        if (!stamps || !columns || !sat)
            goto fail;
        for (int m = 0; m < N_METRICS; m++) {
            PyObject *column = PyTuple_New(count);
            if (!column)
                goto fail;
            PyTuple_SET_ITEM(columns, m, column);
        }
        i = 0;
        for (Py_ssize_t e = series->first; e >= 0; e = t->events[e].next, i++) {
            const Event *ev = &t->events[e];
            PyObject *ms = PyLong_FromLongLong(ev->ms);
            if (!ms)
                goto fail;
            PyTuple_SET_ITEM(stamps, i, ms);
            for (int m = 0; m < N_METRICS; m++) {
                PyObject *value = PyFloat_FromDouble(ev->number[m]);
                if (!value)
                    goto fail;
                PyTuple_SET_ITEM(PyTuple_GET_ITEM(columns, m), i, value);
            }
        }
        PyObject *group = PyTuple_Pack(3, sat, stamps, columns);
        Py_DECREF(sat);
        Py_DECREF(stamps);
        Py_DECREF(columns);
        if (!group) {
            Py_DECREF(groups);
            return NULL;
        }
        PyList_SET_ITEM(groups, s, group);
        continue;
    fail:
        Py_XDECREF(sat);
        Py_XDECREF(stamps);
        Py_XDECREF(columns);
        Py_DECREF(groups);
        return NULL;
    }
    return groups;
}

typedef PyObject *(*Output)(const Table *);

static PyObject *scan_with(PyObject *arg, Output output) {
    Py_buffer view;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "_telemetry_scan.configure() was not called");
        return NULL;
    }
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Table table = {0};
    PyObject *rest = PyList_New(0), *result = NULL;
    Py_ssize_t count = 0;
    int scanned = rest ? scan_body(view.buf, (const char *)view.buf + view.len, &table, rest, &count) : -1;
    if (scanned == 0) {
        result = Py_NewRef(Py_None);
    } else if (scanned > 0) {
        PyObject *out = output(&table);
        if (out)
            result = Py_BuildValue("(NnO)", out, count, rest);
    }
    Py_XDECREF(rest);
    table_free(&table);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *scan(PyObject *self, PyObject *arg) { return scan_with(arg, import_lines); }

static PyObject *samples(PyObject *self, PyObject *arg) { return scan_with(arg, sample_groups); }

static int keep(PyObject *bytes, Str *out) {
    char *p;
    Py_ssize_t len;
    if (PyBytes_AsStringAndSize(bytes, &p, &len) < 0)
        return -1;
    out->ptr = PyMem_Malloc((size_t)len + 1);
    if (!out->ptr) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(out->ptr, p, (size_t)len);
    out->len = len;
    return 0;
}

static int keep_all(PyObject *seq, Str *out, Py_ssize_t n, const char *what) {
    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError, "%s: a tuple of %zd bytes expected", what, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (keep(PyTuple_GET_ITEM(seq, i), &out[i]) < 0)
            return -1;
    return 0;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *type, *attrs, *metrics, *heads;
    if (configured)
        Py_RETURN_NONE;
    if (!PyArg_ParseTuple(args, "SO!O!O!(ddddd)", &type, &PyTuple_Type, &attrs, &PyTuple_Type,
                          &metrics, &PyTuple_Type, &heads, &coldest, &lowest, &slowest, &fastest,
                          &least_voltage))
        return NULL;
    if (keep(type, &type_name) < 0 || keep_all(attrs, attr_names, N_ATTRS, "attributes") < 0 ||
        keep_all(metrics, metric_names, N_METRICS, "metrics") < 0 ||
        keep_all(heads, series_heads, N_METRICS, "series heads") < 0)
        return NULL;
    configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(type, attributes, metrics, series_heads, (coldest, lowest, slowest, fastest, "
     "least_voltage)): the contract, once."},
    {"scan", scan, METH_O, "scan(body) -> (import lines, items, [(index, start, end)]) or None"},
    {"samples", samples, METH_O,
     "samples(body) -> ([(satellite, stamps, columns)], items, [(index, start, end)]) or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_telemetry_scan",
                                    "The telemetry batch hot path of the writer and the alarm-evaluator (see the C source).",
                                    -1, methods};

PyMODINIT_FUNC PyInit__telemetry_scan(void) { return PyModule_Create(&module); }
