package local_test

import (
	"testing"

	"github.com/claimflow/claimflow/connectors"
	"github.com/claimflow/claimflow/connectors/connectortest"
	"github.com/claimflow/claimflow/connectors/local"
)

func TestSuite(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, func(t *testing.T, l connectors.Layout) connectortest.Harness {
		root := t.TempDir()
		c, err := local.New(root, l)
		if err != nil {
			t.Fatal(err)
		}
		return connectortest.Harness{Conn: c, Remote: connectortest.DirRemote(root)}
	})
}
