# The Doorstep server. Build: docker build -t doorstep .  (Docker cannot run on the dev machines;
# tests/server/test_foundation.py and tests/scale/test_deploy.py check this file and docker-compose.yml.)
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY shared_schemas ./shared_schemas
COPY mobile/__init__.py ./mobile/__init__.py
COPY fixtures ./fixtures
RUN pip install --no-cache-dir '.[server]'
EXPOSE 8000
# Migrate, then serve. The demo is loaded only when DOORSTEP_DEMO=1.
CMD ["sh", "-c", "doorstep migrate && if [ \"$DOORSTEP_DEMO\" = 1 ]; then doorstep demo load; fi && doorstep serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-2}"]
