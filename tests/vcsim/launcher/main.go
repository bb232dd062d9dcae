// Command vcsim-launcher starts govmomi's in-process vCenter simulator for vmscan's tests.
//
// It prints one line "VCSIM_URL=<url with user:pass>" on stdout once the server listens,
// then serves until SIGTERM/SIGINT. Build offline with Debian's packages:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tests/vcsim/bin/vcsim-launcher ./tests/vcsim/launcher
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	datacenters := flag.Int("dc", 1, "datacenters")
	clusters := flag.Int("cluster", 1, "clusters per datacenter")
	standaloneHosts := flag.Int("host", 1, "standalone hosts per datacenter")
	clusterHosts := flag.Int("cluster-host", 3, "hosts per cluster")
	machines := flag.Int("machine", 2, "VMs per resource pool (standalone host or cluster)")
	listen := flag.String("listen", "127.0.0.1:0", "host:port to listen on")
	username := flag.String("username", "user", "the only user name accepted by Login")
	password := flag.String("password", "pass", "the only password accepted by Login")
	perfCSV := flag.Bool("perf-csv", false, "answer QueryPerf format \"csv\" in CSV, as vCenter does")
	flag.Parse()

	model := simulator.VPX()
	model.Datacenter = *datacenters
	model.Cluster = *clusters
	model.Host = *standaloneHosts
	model.ClusterHost = *clusterHosts
	model.Machine = *machines
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim-launcher: create model: %v", err)
	}
	defer model.Remove() // removes the temporary datastore directories
	if err := wrapPerfManager(*perfCSV); err != nil {
		log.Fatalf("vcsim-launcher: %v", err)
	}

	// Explicit credentials make Login check them; with the default it accepts any non-empty pair.
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	server := model.Service.NewServer()
	defer server.Close()

	fmt.Printf("VCSIM_URL=%s\n", server.URL.String())
	_ = os.Stdout.Sync()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
