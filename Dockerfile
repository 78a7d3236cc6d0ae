FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml package.json ./
RUN pip install --no-cache-dir . && npm install --no-audit --no-fund
COPY . .
ENV DJANGO_SETTINGS_MODULE=hub.settings
EXPOSE 8000
