// Command etcd is upstream etcd 3.6.5, built from the go.etcd.io/etcd/server/v3
// module's etcdmain: its endpoint status reports dbSizeQuota 0 when no quota
// is configured (fixed in 3.6.6), the case the exporter reads /metrics for.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
