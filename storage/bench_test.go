package storage_test

import (
	"os"
	"testing"

	"github.com/claimflow/claimflow/storage/storagetest"
)

// benchPayments is how many claim payments one benchmark operation posts.
const benchPayments = 100_000

// BenchmarkPostClaimPaymentsSQLite posts 100,000 claim payments with four ledger
// entries each into SQLite. Target: 10,000 payments/s.
func BenchmarkPostClaimPaymentsSQLite(b *testing.B) {
	storagetest.BenchPostClaimPayments(b, sqliteDatabase, benchPayments, false)
}

// BenchmarkPostClaimPaymentsWithCASSQLite also stores each payment's two CAS rows.
func BenchmarkPostClaimPaymentsWithCASSQLite(b *testing.B) {
	storagetest.BenchPostClaimPayments(b, sqliteDatabase, benchPayments, true)
}

// BenchmarkPostClaimPaymentsPostgres posts 100,000 claim payments with four ledger
// entries each into PostgreSQL with COPY. Target: 20,000 payments/s.
func BenchmarkPostClaimPaymentsPostgres(b *testing.B) {
	skipWithoutPostgres(b)
	storagetest.BenchPostClaimPayments(b, postgresDatabase, benchPayments, false)
}

// BenchmarkPostClaimPaymentsWithCASPostgres also stores each payment's two CAS rows.
func BenchmarkPostClaimPaymentsWithCASPostgres(b *testing.B) {
	skipWithoutPostgres(b)
	storagetest.BenchPostClaimPayments(b, postgresDatabase, benchPayments, true)
}

func skipWithoutPostgres(b *testing.B) {
	if os.Getenv(postgresEnv) == "" {
		b.Skipf("set %s to benchmark PostgreSQL", postgresEnv)
	}
}
