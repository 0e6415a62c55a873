package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/claimflow/claimflow/internal/testenv"
	"github.com/claimflow/claimflow/pipeline/bus"
	"github.com/claimflow/claimflow/storage"
)

// startCluster starts a three-node NATS cluster with JetStream in this process:
// nats-server instances on loopback ports joined by routes, as deploy/ runs them
// on three machines. bus.Embedded serves a single node; the cluster needs the
// server's route options, so the test sets them itself.
func startCluster(t *testing.T) []*server.Server {
	t.Helper()
	ports := make([]int, 3)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	nodes := make([]*server.Server, 3)
	for i := range nodes {
		opts := &server.Options{
			ServerName: fmt.Sprintf("e2e-n%d", i+1), Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: filepath.Join(t.TempDir(), "js"), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "e2e", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		t.Cleanup(func() {
			srv.Shutdown()
			srv.WaitForShutdown()
		})
		nodes[i] = srv
	}
	for i, srv := range nodes {
		if !srv.ReadyForConnections(20 * time.Second) {
			t.Fatalf("cluster node %d did not start", i+1)
		}
	}
	return nodes
}

// TestClusterNodeLoss runs the loop with three worker processes on a three-node
// NATS cluster (streams and consumers with three replicas) and PostgreSQL, and
// stops one node once the scrubber has started: the workers connected to it
// reconnect to the others, the streams keep their messages on the two left, and
// every claim still reaches its planted outcome, each sent once.
func TestClusterNodeLoss(t *testing.T) {
	t.Parallel()
	pgURL := testenv.PostgresURL(t)
	nodes := startCluster(t)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.ClientURL())
	}
	const n, seed = 300, 13
	rules := loopRules()
	gen := newGenerator(t, seed, n, 0.2, rules)
	s := newSystem(t, systemOptions{DBURL: pgURL, NATS: urls, Replicas: 3, Seed: seed, Rules: rules})

	// The streams need the cluster's JetStream leader: wait until they can be made.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	waitFor(t, "the cluster's JetStream", 60*time.Second, func() bool {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		b, err := bus.Connect(cctx, bus.Config{URLs: urls, Namespace: s.ns, Replicas: 3, BackOff: testBackOff,
			MaxDeliver: testMaxDeliver, Logger: testenv.Quiet()})
		if err != nil {
			return false
		}
		b.Close(cctx)
		return true
	})
	s.startWorkers(3)

	start := time.Now()
	s.intake(gen)
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := driveLoop(ctx, s.driver(3*time.Second, 8))
		done <- outcome{res, err}
	}()
	waitFor(t, "the scrubber to start", 60*time.Second, func() bool {
		b, err := s.store.Backlog(ctx)
		return err == nil && b.ByState[storage.StateDraft] < n
	})
	stopped := nodes[0]
	stopped.Shutdown()
	stopped.WaitForShutdown()
	t.Logf("%v: stopped node %s", time.Since(start).Round(time.Millisecond), stopped.Name())
	out := <-done
	s.settled(out.res, out.err)
	t.Logf("%d claims through the loop in %v, %d rounds", n, time.Since(start).Round(time.Millisecond), out.res.Rounds)

	claims := readClaims(t, s.store, gen)
	checkOutcomes(t, s.store, gen, claims)
	checkSentOnce(t, s, claims)
	for i, w := range s.live() {
		if w.exited() {
			t.Errorf("worker %d died with the node", i)
		}
		w.stop(t)
	}
}
