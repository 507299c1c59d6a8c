# mdmbatch — `make help` lists the targets.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PREFIX ?= /usr/local
RELEASE_BIN = .build/release/mdmbatch
DEBUG_BIN = .build/debug/mdmbatch
SIM_RELEASE_BIN = .build/release/graph-sim
DEMO_DIR = demo

.PHONY: help build build-sim debug test demo bench bench-import bench-plan bench-run bench-verify bench-graph bench-smoke install clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

build: ## Build the release binaries (.build/release/mdmbatch and graph-sim)
	$(SWIFT) build -c release --product mdmbatch
	$(SWIFT) build -c release --product graph-sim

build-sim: ## Build the release Graph simulator (.build/release/graph-sim), for the Graph benchmarks
	$(SWIFT) build -c release --product graph-sim

debug: ## Build the debug binary and the tests
	$(SWIFT) build --build-tests

test: debug ## Run the unit and end-to-end tests, then the benchmark smoke run
	$(SWIFT) test --skip-build
	MDMBATCH=$(DEBUG_BIN) bash bench/smoke.sh

demo: build ## Build; import samples/; plan the sample batch under both rule sets; run it over the mock, then over HTTP against graph-sim
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(RELEASE_BIN) import users samples/users.csv --db $(DEMO_DIR)/mdmbatch.sqlite
	$(RELEASE_BIN) import devices samples/devices.csv --db $(DEMO_DIR)/mdmbatch.sqlite
	$(RELEASE_BIN) import devices samples/devices-intune.csv --db $(DEMO_DIR)/mdmbatch.sqlite
	$(RELEASE_BIN) import devices samples/devices-graph.json --db $(DEMO_DIR)/mdmbatch.sqlite
	@echo
	@echo "Devices by platform as the 2017 rules name them, and how each is managed and enrolled (demo/mdmbatch.sqlite):"
	@sqlite3 -column -header $(DEMO_DIR)/mdmbatch.sqlite \
	  "SELECT platform, count(*) AS devices, group_concat(DISTINCT coalesce(management, '(unknown)')) AS management, group_concat(DISTINCT enrollment) AS enrollment FROM devices GROUP BY platform ORDER BY platform"
	@echo
	@echo "Dry run of samples/batch-lost.csv (the 2017 rules, the default):"
	$(RELEASE_BIN) plan samples/batch-lost.csv --db $(DEMO_DIR)/mdmbatch.sqlite
	@echo
	@echo "The same batch under both rule sets, side by side (counts by verdict and reason):"
	@for rules in intune-2017 intune-2025; do \
	  $(RELEASE_BIN) plan samples/batch-lost.csv --db $(DEMO_DIR)/mdmbatch.sqlite --rules $$rules --quiet --json \
	    > $(DEMO_DIR)/plan-$$rules.json; done
	@sqlite3 -column -header :memory: \
	  "WITH a AS (SELECT json_extract(value, '$$.verdict') || coalesce(' ' || json_extract(value, '$$.reason'), '') AS k FROM json_each(readfile('$(DEMO_DIR)/plan-intune-2017.json'), '$$.requests')), \
	        b AS (SELECT json_extract(value, '$$.verdict') || coalesce(' ' || json_extract(value, '$$.reason'), '') AS k FROM json_each(readfile('$(DEMO_DIR)/plan-intune-2025.json'), '$$.requests')), \
	        k AS (SELECT k FROM a UNION SELECT k FROM b) \
	   SELECT k.k AS \"verdict / reason\", (SELECT count(*) FROM a WHERE a.k = k.k) AS \"intune-2017\", (SELECT count(*) FROM b WHERE b.k = k.k) AS \"intune-2025\" \
	   FROM k ORDER BY k.k"
	@echo
	@echo "Running it over the mock service (some transient faults injected; exit status 1: the batch has rejections):"
	-$(RELEASE_BIN) run samples/batch-lost.csv --db $(DEMO_DIR)/mdmbatch.sqlite --mock-latency-ms 20 \
	  --mock-transient-rate 0.2 --mock-seed 7 --passcodes-out $(DEMO_DIR)/passcodes.csv --report $(DEMO_DIR)/report.json \
	  --report-html $(DEMO_DIR)/report.html
	@echo
	@echo "Temporary passcodes (shown once, file mode 0600): $(DEMO_DIR)/passcodes.csv; full report: $(DEMO_DIR)/report.json and $(DEMO_DIR)/report.html"
	$(RELEASE_BIN) status --db $(DEMO_DIR)/mdmbatch.sqlite
	@echo
	@echo "Second act: the same batch over HTTP, against graph-sim (Microsoft Graph simulated on loopback):"
	bash samples/demo-graph.sh .build/release $(DEMO_DIR)

bench: build build-sim ## Every benchmark at 10k, 100k, 1M (import also 5M) vs its reference, and Graph over HTTP: bench/RESULTS.md (tens of minutes)
	MDMBATCH=$(RELEASE_BIN) GRAPH_SIM=$(SIM_RELEASE_BIN) bash bench/all.sh

bench-import: build ## Import 1,000,000 devices: ratios to sqlite3 .import (bare; same key and indexes), to sqlite-utils, an upsert over them, peak RSS
	MDMBATCH=$(RELEASE_BIN) bash bench/import.sh

bench-plan: build ## Plan 1,000,000 requests vs the same verdict counts by a pure-SQL join
	MDMBATCH=$(RELEASE_BIN) bash bench/plan.sh

bench-run: build ## Run 1,000,000 requests vs a pure-SQL pipeline; latency-bound and paced runs
	MDMBATCH=$(RELEASE_BIN) bash bench/run.sh

bench-verify: build ## Verify an audit chain of 1,000,000 rows (seconds)
	MDMBATCH=$(RELEASE_BIN) bash bench/verify.sh

bench-graph: build build-sim ## Graph over HTTP to graph-sim: 20 ms latency-bound dispatch vs Little's law; default pacing vs Intune's throttle (~4 min)
	MDMBATCH=$(RELEASE_BIN) GRAPH_SIM=$(SIM_RELEASE_BIN) bash bench/graph.sh

bench-smoke: debug ## The benchmark scripts on 10,000 rows, so they cannot rot
	MDMBATCH=$(DEBUG_BIN) bash bench/smoke.sh

install: build ## Install mdmbatch, its man page and bash/zsh/fish completions under $(PREFIX)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/mdmbatch
	$(RELEASE_BIN) --experimental-dump-help | python3 tools/manpage.py "$$($(RELEASE_BIN) --version)" \
	  > $(DESTDIR)$(PREFIX)/share/man/man1/mdmbatch.1
	$(RELEASE_BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mdmbatch
	$(RELEASE_BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mdmbatch
	$(RELEASE_BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/mdmbatch.fish

clean: ## Remove build products and the demo database
	rm -rf .build $(DEMO_DIR)
