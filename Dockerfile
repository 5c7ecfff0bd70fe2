FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md scheduler.py sources.toml ./
COPY crawler ./crawler
COPY etl ./etl
COPY aidnews ./aidnews
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
CMD ["python", "scheduler.py"]
