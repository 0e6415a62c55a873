// Package deploy holds what runs claimflow on more than one machine, as data: a
// compose file (compose/), Kubernetes manifests (kubernetes/), systemd units
// (systemd/), a three-node NATS cluster configuration (nats/), and an example
// configuration (claimflow.yaml) and clearinghouse connections (connections.yaml).
// Its test loads the examples with the config and connection packages and checks
// that every CLAIMFLOW_ variable the files set is one claimflow knows.
//
// The package has no Go API.
package deploy
