// Package exepages keeps the running executable's own pages out of the
// process's resident memory while it does not run them.
//
// Central's binary is ~90 MB of code, read-only data and function tables
// (client-go's typed clientset links every API group). Package
// initialisation alone touches pages all over it (every API type is
// registered in a scheme), and on each fault the kernel maps not one page
// but up to 64 KiB around it (fault-around): 50-75 MiB of RSS at 150,000
// pods that are file pages nothing will run again. Release drops them and
// asks for one page per fault from then on; what still runs comes back
// from the page cache on its next touch, a minor fault.
//
// It never imports anything else of the exporter.
package exepages
