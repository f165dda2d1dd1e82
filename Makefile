# kook: an Ansible inventory kept in ZooKeeper.
#   make test   install what the tests need, then run every test
#   make demo   start a local ZooKeeper, import a sample, change it with kook, show Ansible reading it
#   make bench  performance figures against a real ZooKeeper
#   make install [PREFIX=/usr/local] [DESTDIR=]  install the three binaries

GO      ?= go
ZK_PORT ?= 21810
DEMO    ?= testdata/inventories/demo.ini
export KOOK_ZK   ?= 127.0.0.1:$(ZK_PORT)
export KOOK_ROOT ?= /kook-demo
# Where make install puts the binaries: $(DESTDIR)$(PREFIX)/bin, as packagers
# expect (DESTDIR stages into a tree; PREFIX is where they run from).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
BINARIES = kook-inventory kook-import kook
# The binaries are built without cgo, hence linked statically: kook-inventory
# answers in a few milliseconds, and loading the C library and its
# dynamic linker cost one of them. (Go's own DNS resolver and user lookup
# then serve; the bench builds the same way, through the environment.)
STATIC  ?= CGO_ENABLED=0
# The version --version prints: git's description of the tree built.
VERSION ?= $(shell git describe --always --dirty --tags 2>/dev/null)
LDFLAGS  = -X github.com/kook-project/kook/internal/cli.stamped=$(VERSION)

.PHONY: build deps test test-short vet fuzz bench demo zk-start zk-stop clean install uninstall

build:
	$(STATIC) $(GO) build -ldflags "$(LDFLAGS)" -o bin/kook-inventory ./cmd/kook-inventory
	$(STATIC) $(GO) build -ldflags "$(LDFLAGS)" -o bin/kook-import ./cmd/kook-import
	$(STATIC) $(GO) build -ldflags "$(LDFLAGS)" -o bin/kook ./cmd/kook

install: build
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 0755 $(addprefix bin/,$(BINARIES)) "$(DESTDIR)$(BINDIR)/"

uninstall:
	rm -f $(addprefix "$(DESTDIR)$(BINDIR)"/,$(BINARIES))

deps:
	@scripts/deps.sh

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test -count=1 -timeout 60m ./...

# Unit tests only: no ZooKeeper, no Ansible.
test-short:
	$(GO) test -short ./...

FUZZTIME ?= 2m
fuzz:
	@for p in $$($(GO) list ./pkg/...); do \
		for t in $$($(GO) test -list 'Fuzz.*' $$p | grep ^Fuzz); do \
			echo "== $$p $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

bench: deps
	$(STATIC) $(GO) run ./internal/bench

zk-start: deps
	@scripts/zk.sh start $(ZK_PORT)

zk-stop:
	@scripts/zk.sh stop

demo: deps build zk-start
	./bin/kook-import --prune $(DEMO)
	@echo
	@echo '$$ ansible-inventory -i ./bin/kook-inventory --graph'
	@ansible-inventory -i ./bin/kook-inventory --graph
	@echo
	@echo '$$ ansible-inventory -i ./bin/kook-inventory --host web01.example.com'
	@ansible-inventory -i ./bin/kook-inventory --host web01.example.com
	@echo
	@echo '$$ kook host add web04.example.com --group web http_port=9090 canary=True'
	@./bin/kook host add web04.example.com --group web http_port=9090 canary=True
	@echo '$$ kook host list --group production --where canary --format "{{.Name}} {{.Effective.http_port}}"'
	@./bin/kook host list --group production --where canary --format "{{.Name}} {{.Effective.http_port}}"
	@echo '$$ ansible-inventory -i ./bin/kook-inventory --host web04.example.com    # Ansible sees it at once'
	@ansible-inventory -i ./bin/kook-inventory --host web04.example.com
	@echo '$$ kook lock web01.example.com --reason demo -- ansible -i ./bin/kook-inventory "web:!kook_locked:!kook_maintenance" --list-hosts'
	@./bin/kook lock web01.example.com --reason demo -- ansible -i ./bin/kook-inventory 'web:!kook_locked:!kook_maintenance' --list-hosts
	@echo
	@echo "ZooKeeper keeps running on $(KOOK_ZK) (root $(KOOK_ROOT)); try"
	@echo "  KOOK_ZK=$(KOOK_ZK) KOOK_ROOT=$(KOOK_ROOT) ./bin/kook-inventory --export --format ini"
	@echo "and stop it with: make zk-stop"

clean:
	rm -rf bin .kook
