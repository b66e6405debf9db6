# Images of satmon's deployables, one build target each, built from the repository root:
#   function   one CloudEvent function:   --target function --build-arg FUNCTION=<name>
#              (`satmon fn build <name>` runs exactly that, tagged with its func.yaml image)
#   api        the operation API          (python -m satmon.api, port 8000)
#   dashboard  the NiceGUI dashboard      (python -m ui, port 8080)
#   triton     Triton with satmon's models on GPU (configs/gpu.pbtxt, KIND_GPU)
# Every function is the same image recipe with its own folder: what it runs (entry point,
# signature) is read from its func.yaml when the container starts, so no fact about a
# function is written here.
ARG PYTHON_IMAGE=python:3.11-slim
ARG TRITON_IMAGE=nvcr.io/nvidia/tritonserver:25.01-py3

FROM ${PYTHON_IMAGE} AS satmon
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 SATMON_ENVIRONMENT=production
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin satmon

FROM satmon AS function
ARG FUNCTION
RUN test -n "${FUNCTION}" || { echo "build with --build-arg FUNCTION=<name>" >&2; exit 1; }
COPY functions/${FUNCTION} ./functions/${FUNCTION}
# a function that needs more than satmon's own dependencies lists them here
RUN if [ -f "functions/${FUNCTION}/requirements.txt" ]; then \
        pip install -r "functions/${FUNCTION}/requirements.txt"; fi
ENV SATMON_FUNCTION=${FUNCTION} PORT=8080
USER 10001
EXPOSE 8080
CMD ["python", "-m", "satmon.fnspec.serve"]

FROM satmon AS api
USER 10001
EXPOSE 8000
CMD ["python", "-m", "satmon.api", "--host", "0.0.0.0", "--port", "8000"]

FROM satmon AS dashboard
COPY ui ./ui
ENV SATMON_UI_PORT=8080
USER 10001
EXPOSE 8080
CMD ["python", "-m", "ui"]

# Triton 25.01 (2.54) runs on Ubuntu 24.04, whose python3 (3.12) is what the Python
# backend's stub embeds: satmon needs 3.11 or later, which the 24.x images (3.10) lack.
FROM ${TRITON_IMAGE} AS triton
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN python3 -m pip install --no-cache-dir --break-system-packages . "torch==2.9.1"
COPY triton/models ./triton/models
EXPOSE 8000 8001 8002
CMD ["tritonserver", "--model-repository=/app/triton/models", "--model-config-name=gpu", \
     "--strict-readiness=true", "--exit-on-error=true"]
