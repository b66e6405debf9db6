/*
 * satmon.eventing._record_scan — the dispatcher's per-record hot path, compiled.
 *
 * scan(headers, value) reads one Kafka record in CloudEvents binary mode (headers: a
 * list of (str, bytes), value: bytes) and, where it is sure, returns (attrs, item):
 *
 *   attrs  {attribute name: str}, as satmon.eventing.records._attributes builds it;
 *   item   the event as records.batch_json writes it inside a batch: the attributes as a
 *          JSON object (in header order, strings escaped as orjson escapes them) with
 *          "data": the value spliced in unchanged.
 *
 * Everything else returns None and takes the Python reference path (records.decode),
 * so every error message and every unusual record stays the reference's: a header
 * named ce_... or content-type in another case or with non-ASCII, a header value that
 * is not bytes or not UTF-8 or holds a control character or noncharacter, a missing or empty id / source / type, a specversion other
 * than "1.0", a datacontenttype other than "application/json", an attribute named
 * "data" (the item's own key), an empty value, and a value the JSON check below cannot
 * vouch for. Other headers are ignored, as there.
 *
 * The JSON check is strict RFC 8259 on bytes: well-formed UTF-8 (no surrogates, no
 * overlong forms), no control characters in strings, no \u escape of a surrogate,
 * numbers of at most 64 characters, nesting at most 64 deep, whitespace only space, tab,
 * CR and LF. Whatever it accepts, json.loads accepts too (no NUL byte, so json detects
 * UTF-8; no digits-limit or recursion error); what it refuses is judged by
 * records.check_json, whose decision is json.loads'.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_NUMBER 64

/* --- the JSON check --------------------------------------------------------------- */
typedef struct {
    const unsigned char *p, *end;
    int depth;
} Reader;

static int value(Reader *r);

static void skip_space(Reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(const unsigned char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

/* One UTF-8 sequence starting at a byte >= 0x80; 0 when malformed, a surrogate or overlong. */
static int utf8_sequence(Reader *r) {
    const unsigned char *p = r->p;
    Py_ssize_t left = r->end - p;
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (left < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        r->p += 2;
        return 1;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0; /* overlong, surrogate */
        r->p += 3;
        return 1;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0; /* overlong, beyond U+10FFFF */
        r->p += 4;
        return 1;
    }
    return 0;
}

static int string(Reader *r) {
    r->p++; /* the opening quote */
    while (r->p < r->end) {
        unsigned c = *r->p;
        if (c == '"') {
            r->p++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (r->end - r->p < 2)
                return 0;
            unsigned e = r->p[1];
            if (e == 'u') {
                unsigned code;
                if (r->end - r->p < 6 || !hex4(r->p + 2, &code) || (code >= 0xD800 && code <= 0xDFFF))
                    return 0;
                r->p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                r->p += 2;
            } else {
                return 0;
            }
        } else if (c >= 0x80) {
            if (!utf8_sequence(r))
                return 0;
        } else {
            r->p++;
        }
    }
    return 0;
}

static int digits(Reader *r) {
    const unsigned char *start = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > start;
}

static int number(Reader *r) {
    const unsigned char *start = r->p;
    if (*r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (!(r->p < r->end && *r->p >= '1' && *r->p <= '9') || !digits(r))
        return 0;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!digits(r))
            return 0;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!digits(r))
            return 0;
    }
    return r->p - start <= MAX_NUMBER;
}

static int literal(Reader *r, const char *word, Py_ssize_t n) {
    if (r->end - r->p < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

/* An object or an array, after its opening bracket. */
static int container(Reader *r, unsigned char close) {
    if (++r->depth > MAX_DEPTH)
        return 0;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return 1;
    }
    for (;;) {
        if (close == '}') {
            if (r->p >= r->end || *r->p != '"' || !string(r))
                return 0;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':')
                return 0;
            r->p++;
            skip_space(r);
        }
        if (!value(r))
            return 0;
        skip_space(r);
        if (r->p >= r->end)
            return 0;
        if (*r->p == ',') {
            r->p++;
            skip_space(r);
            continue;
        }
        if (*r->p != close)
            return 0;
        r->p++;
        r->depth--;
        return 1;
    }
}

static int value(Reader *r) {
    if (r->p >= r->end)
        return 0;
    switch (*r->p) {
    case '{':
        return container(r, '}');
    case '[':
        return container(r, ']');
    case '"':
        return string(r);
    case 't':
        return literal(r, "true", 4);
    case 'f':
        return literal(r, "false", 5);
    case 'n':
        return literal(r, "null", 4);
    default:
        return (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) && number(r);
    }
}

static int surely_json(const char *text, Py_ssize_t n) {
    Reader r = {(const unsigned char *)text, (const unsigned char *)text + n, 0};
    skip_space(&r);
    if (!value(&r))
        return 0;
    skip_space(&r);
    return r.p == r.end;
}

/* --- the item: {"name":"value",...,"data":<value>} ----------------------------------- */
/* The length of a UTF-8 string written as below, quotes included. */
static Py_ssize_t escaped_length(const char *s, Py_ssize_t n) {
    Py_ssize_t length = n + 2;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
            length += 1;
        else if (c < 0x20)
            length += 5;
    }
    return length;
}

static char *write_string(char *out, const char *s, Py_ssize_t n) {
    static const char hex[] = "0123456789abcdef";
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    return out;
}

static PyObject *encode_item(PyObject *attrs, const char *data, Py_ssize_t data_len) {
    Py_ssize_t pos = 0, length = 1 + 7 + data_len + 1; /* { "data": value } */
    PyObject *name, *text;
    while (PyDict_Next(attrs, &pos, &name, &text)) {
        Py_ssize_t n_len, t_len;
        const char *n = PyUnicode_AsUTF8AndSize(name, &n_len);
        const char *t = PyUnicode_AsUTF8AndSize(text, &t_len);
        if (n == NULL || t == NULL)
            return NULL;
        length += escaped_length(n, n_len) + 1 + escaped_length(t, t_len) + 1;
    }
    PyObject *item = PyBytes_FromStringAndSize(NULL, length);
    if (item == NULL)
        return NULL;
    char *out = PyBytes_AS_STRING(item);
    *out++ = '{';
    pos = 0;
    while (PyDict_Next(attrs, &pos, &name, &text)) {
        Py_ssize_t n_len, t_len;
        const char *n = PyUnicode_AsUTF8AndSize(name, &n_len); /* cached by the first pass */
        const char *t = PyUnicode_AsUTF8AndSize(text, &t_len);
        out = write_string(out, n, n_len);
        *out++ = ':';
        out = write_string(out, t, t_len);
        *out++ = ',';
    }
    memcpy(out, "\"data\":", 7);
    out += 7;
    memcpy(out, data, data_len);
    out += data_len;
    *out = '}';
    return item;
}

/* --- headers → attributes ----------------------------------------------------------- */
static PyObject *names; /* header name → attribute name (str), as records._ATTR_HEADERS */
static PyObject *k_id, *k_source, *k_type, *k_specversion, *k_datacontenttype, *k_data;

/* The attribute a header names: a new reference; Py_None for a header that is no
 * attribute; NULL (no exception) when only the reference can tell. */
static PyObject *attribute_name(PyObject *header) {
    PyObject *known = PyDict_GetItemWithError(names, header);
    if (known != NULL) {
        Py_INCREF(known);
        return known;
    }
    if (PyErr_Occurred() || !PyUnicode_IS_ASCII(header)) {
        PyErr_Clear();
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(header);
    const char *s = (const char *)PyUnicode_1BYTE_DATA(header);
    PyObject *attr;
    if (n == 12 && strncasecmp(s, "content-type", 12) == 0) {
        if (memcmp(s, "content-type", 12) != 0)
            return NULL;
        attr = PyUnicode_FromString("datacontenttype");
    } else if (n >= 3 && strncasecmp(s, "ce_", 3) == 0) {
        if (n == 3 || memcmp(s, "ce_", 3) != 0)
            return NULL;
        for (Py_ssize_t i = 3; i < n; i++)
            if (s[i] >= 'A' && s[i] <= 'Z')
                return NULL;
        attr = PyUnicode_FromStringAndSize(s + 3, n - 3);
    } else {
        Py_RETURN_NONE;
    }
    if (attr == NULL)
        return NULL;
    PyUnicode_InternInPlace(&attr);
    if (PyDict_GET_SIZE(names) < 1024 && PyDict_SetItem(names, header, attr) < 0) {
        Py_DECREF(attr);
        return NULL;
    }
    return attr;
}

static int text_is(PyObject *attrs, PyObject *name, const char *want) {
    PyObject *got = PyDict_GetItemWithError(attrs, name);
    return got != NULL && PyUnicode_CompareWithASCIIString(got, want) == 0;
}

static int present(PyObject *attrs, PyObject *name) {
    PyObject *got = PyDict_GetItemWithError(attrs, name);
    return got != NULL && PyUnicode_GET_LENGTH(got) > 0;
}

/* 1 when a decoded attribute value holds no character a CloudEvents String may not
 * (C0 and C1 controls, DEL, noncharacters; strict UTF-8 gives no surrogates): a value
 * that does is the reference's to refuse, with its message. */
static int allowed_text(PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xfdd0 && c <= 0xfdef) ||
            (c & 0xfffe) == 0xfffe)
            return 0;
    }
    return 1;
}

/* attrs of a record the fast path takes, else NULL with no exception set. */
static PyObject *attributes(PyObject *headers) {
    if (!PyList_CheckExact(headers))
        return NULL;
    PyObject *attrs = PyDict_New();
    if (attrs == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(headers);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PyList_GET_ITEM(headers, i);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !PyUnicode_CheckExact(PyTuple_GET_ITEM(pair, 0)))
            goto unsure;
        PyObject *attr = attribute_name(PyTuple_GET_ITEM(pair, 0));
        if (attr == NULL)
            goto unsure;
        if (attr == Py_None) {
            Py_DECREF(attr);
            continue;
        }
        PyObject *raw = PyTuple_GET_ITEM(pair, 1);
        PyObject *text = PyBytes_CheckExact(raw)
                             ? PyUnicode_DecodeUTF8(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), "strict")
                             : NULL;
        int failed = text == NULL || !allowed_text(text) || PyDict_SetItem(attrs, attr, text) < 0;
        Py_DECREF(attr);
        Py_XDECREF(text);
        if (failed)
            goto unsure;
    }
    if (present(attrs, k_id) && present(attrs, k_source) && present(attrs, k_type) &&
        text_is(attrs, k_specversion, "1.0") &&
        (PyDict_GetItemWithError(attrs, k_datacontenttype) == NULL ||
         text_is(attrs, k_datacontenttype, "application/json")) &&
        PyDict_GetItemWithError(attrs, k_data) == NULL && !PyErr_Occurred())
        return attrs;
unsure:
    PyErr_Clear();
    Py_DECREF(attrs);
    return NULL;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *headers, *data;
    if (!PyArg_ParseTuple(args, "OO", &headers, &data))
        return NULL;
    if (!PyBytes_CheckExact(data) || PyBytes_GET_SIZE(data) == 0 ||
        !surely_json(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data)))
        Py_RETURN_NONE;
    PyObject *attrs = attributes(headers);
    if (attrs == NULL)
        Py_RETURN_NONE;
    PyObject *item = encode_item(attrs, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data));
    if (item == NULL) {
        Py_DECREF(attrs);
        return NULL;
    }
    PyObject *out = PyTuple_Pack(2, attrs, item);
    Py_DECREF(attrs);
    Py_DECREF(item);
    return out;
}

static PyObject *surely_json_py(PyObject *self, PyObject *arg) {
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "bytes expected");
        return NULL;
    }
    return PyBool_FromLong(surely_json(PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg)));
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "scan(headers, value) -> (attrs, batch item bytes) or None"},
    {"surely_json", surely_json_py, METH_O,
     "surely_json(value) -> True only where json.loads(value) surely succeeds"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_record_scan",
                                    "The dispatcher's per-record hot path (see the C source).",
                                    -1, methods};

PyMODINIT_FUNC PyInit__record_scan(void) {
    names = PyDict_New();
    k_id = PyUnicode_InternFromString("id");
    k_source = PyUnicode_InternFromString("source");
    k_type = PyUnicode_InternFromString("type");
    k_specversion = PyUnicode_InternFromString("specversion");
    k_datacontenttype = PyUnicode_InternFromString("datacontenttype");
    k_data = PyUnicode_InternFromString("data");
    if (names == NULL || k_id == NULL || k_source == NULL || k_type == NULL ||
        k_specversion == NULL || k_datacontenttype == NULL || k_data == NULL)
        return NULL;
    return PyModule_Create(&module);
}
