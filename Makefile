# Two commands for a newcomer: `make run` and `make test`. Both create .venv on first use.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck kb-check bench clean rasa-venv rasa rasa-run test-rasa-model bench-engines
.PHONY: browser bench-admin bench-publish lock lock-rasa deploy-test
.PHONY: model bench-serve

# Installs exactly what was tested: every package pinned with its hashes in requirements-dev.lock
# (the bot's runtime lock, requirements.lock, plus the tools; make lock regenerates both from
# pyproject.toml), then the project itself.
$(STAMP): pyproject.toml requirements-dev.lock
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "laodong needs Python 3.11; set PY=/path/to/python3.11")'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

# `make install`: that, the model (below), and the bytecode cache as pip writes it for an installed
# package (the Docker image): a `laodong` process then starts without compiling what it imports,
# even where PYTHONDONTWRITEBYTECODE is set (about 0.1 s of every `laodong ask`, scripts/bench_serve.py).
install: $(STAMP) model
	$(BIN)/python -m compileall -q bot actions nlu knowledge

# The embedded NLU model, trained once into <data_dir>/models (nlu/artefact.py); nothing to do
# when knowledge/, nlu/data and the training code are unchanged. Serving loads it without scikit-learn.
model: $(STAMP)
	$(BIN)/laodong nlu train

run: $(STAMP) model
	$(BIN)/laodong serve

kb-check: $(STAMP)
	$(BIN)/laodong kb check knowledge

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot nlu actions knowledge

test: $(STAMP) kb-check lint typecheck test-rasa-model browser
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# A worker process's start-up and memory: serve time to healthy, RSS over 10,000 web chat messages, one ask.
bench-serve: $(STAMP)
	$(BIN)/python scripts/bench_serve.py $(ARGS)

# Publish-to-every-process latency: serve --workers 2 and 4 on a fresh PostgreSQL database.
bench-publish: $(STAMP)
	$(BIN)/python scripts/bench_publish.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-output

# The dashboard's browser test (tests/admin/test_browser.py) drives Debian's chromium through
# chromium-driver; nothing is downloaded at test time. Installed here when missing and root.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	elif [ "$$CI" = "true" ]; then echo "CI: the browser test needs chromium and chromium-driver (apt-get install -y chromium chromium-driver)" >&2; exit 1; \
	else echo "no chromium/chromium-driver and not root: the browser test will be skipped (apt-get install chromium chromium-driver)"; fi

# The compose deployment for real: images built (a Debian base made from Debian's archive when no
# registry is reachable), PostgreSQL + Redis + two bot replicas up, a question through each, the
# inquiries found in PostgreSQL and kept across down/up; one summary line (details in
# var/deploy-test.log). Installs Docker from Debian and starts dockerd when missing and root.
deploy-test:
	@$(PY) scripts/deploy_test.py

# Dashboard paging with a million inquiries, on SQLite and on PostgreSQL (127.0.0.1:5432).
bench-admin: $(STAMP)
	$(BIN)/python scripts/bench_admin.py

# --- Rasa 3.6: its own Python 3.10 venv, the project exported from knowledge/, a trained model.
RASA_VERSION := 3.6.21
RASA_SDK_VERSION := 3.6.2
RASA_VENV := .rasa-venv
RASA_STAMP := $(RASA_VENV)/.installed-$(RASA_VERSION)
# python3.10 from PATH, else pyenv's own (its shim refuses while another version is active).
ifndef PY310
PY310 := $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null && break; done)
endif

$(RASA_STAMP): rasa-requirements.lock
	@test -n "$(PY310)" || { echo "Rasa $(RASA_VERSION) needs Python 3.10 and there is no python3.10 (on PATH or in pyenv):" \
		"install one (pyenv install 3.10) or run make PY310=/path/to/python3.10 $(MAKECMDGOALS)" >&2; exit 1; }
	$(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip
	$(RASA_VENV)/bin/pip install --quiet --require-hashes -r rasa-requirements.lock
	@touch $@

rasa-venv: $(RASA_STAMP)

# Export nlu/ + knowledge/ to var/rasa/project, validate, train var/rasa/models/laodong.tar.gz
# (only when the project or the custom component changed).
rasa: $(STAMP) $(RASA_STAMP)
	$(BIN)/python -m nlu.rasa_build

# The Rasa server (--enable-api, loopback, auth token) and the action server; prints the settings to use.
rasa-run: rasa
	$(BIN)/python -m nlu.rasa_servers

# `make test` runs the Rasa integration test: the venv and model are built first when Python 3.10
# is there. Without it, CI fails; a local run goes on and that test is skipped, saying why.
test-rasa-model: $(STAMP)
	@if [ -n "$(PY310)" ] || [ -x $(RASA_VENV)/bin/rasa ]; then $(MAKE) --no-print-directory rasa; \
	elif [ "$$CI" = "true" ]; then echo "CI: the Rasa integration test needs python3.10" >&2; exit 1; \
	else echo "no python3.10: the Rasa integration test will be skipped (make rasa to set it up)"; fi

# Both engines side by side; --retrain trains Rasa from scratch so the table's training time is honest.
bench-engines: $(STAMP) $(RASA_STAMP)
	$(BIN)/python scripts/bench_engines.py --retrain

# Re-pin every dependency with hashes from pyproject.toml (uv pip compile; versions already pinned
# are kept unless pyproject.toml rules them out: delete a line to let that package move). One
# resolution for every Python 3.11, so the runtime lock also installs on Debian's 3.11.2 (which
# needs async-timeout). The dev lock is constrained to the runtime one: both pin the same versions.
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -c requirements.lock -o requirements-dev.lock

# Rasa's venv (Python 3.10 on Linux), keeping the versions pinned now.
lock-rasa: $(STAMP)
	printf 'rasa==$(RASA_VERSION)\nrasa-sdk==$(RASA_SDK_VERSION)\n' | $(BIN)/uv pip compile - --python-version 3.10 \
		--python-platform x86_64-unknown-linux-gnu --generate-hashes --quiet --custom-compile-command "make lock-rasa" \
		-o rasa-requirements.lock
