FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SIA_VAR_DIR=/srv/sia/var
WORKDIR /srv/sia
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps . && useradd --system --home /srv/sia sia \
    && mkdir -p /srv/sia/var && chown -R sia /srv/sia/var
USER sia
EXPOSE 8000
CMD ["sia", "web", "--host", "0.0.0.0", "--port", "8000"]
