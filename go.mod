module github.com/kook-project/kook

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0
	github.com/go-zookeeper/zk v1.0.4
	github.com/goccy/go-yaml v1.19.2
	github.com/google/go-cmp v0.7.0
	golang.org/x/term v0.48.0
)

require golang.org/x/sys v0.50.0
