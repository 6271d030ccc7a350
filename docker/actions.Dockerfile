# The Rasa action server: actions/rasa_actions.py around the same Responder the bot runs.
# Only the pure modules go in (knowledge/, actions/, nlu/ without the embedded engine):
# no scikit-learn, no SQLAlchemy, no bot/.
FROM rasa/rasa-sdk:3.6.2
USER root
RUN pip install --no-cache-dir "PyYAML>=6"
WORKDIR /app
COPY knowledge ./knowledge
COPY actions ./actions
COPY nlu/__init__.py nlu/types.py nlu/normalize.py nlu/abbreviations.yaml nlu/training.py nlu/rasa_parse.py ./nlu/
COPY nlu/data ./nlu/data
ENV PYTHONPATH=/app
USER 1001
EXPOSE 5055
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=4)"
CMD ["start", "--actions", "actions.rasa_actions", "--port", "5055"]
