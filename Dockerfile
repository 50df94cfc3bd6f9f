# One image for the four Newswire services; docker-compose.yml picks the service by command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements/ requirements/
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY services/ services/
COPY ops/ ops/
RUN pip install -c requirements/constraints.txt . \
    && if [ -f requirements/spacy-model.txt ]; then \
         pip install --no-deps --require-hashes -r requirements/spacy-model.txt; \
       fi

RUN useradd --create-home --uid 10001 newswire
USER newswire
ENTRYPOINT ["newswire"]
