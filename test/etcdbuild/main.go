// Command etcd is an upstream etcd server of an older release, built from
// the go.etcd.io/etcd/server/v3 module's etcdmain, so tests can run a real
// mixed-version cluster in the middle of a rolling upgrade.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
