package x12test

import (
	"slices"
	"testing"
)

const isa = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260101*1200*^*00501*000000001*0*T*:~GS*HP*A*B*20260101*1200*1*X*005010X221A1~ST*835*0001~"

func TestBodyAndLost(t *testing.T) {
	a := Body([]byte(isa+"CLP*P1*1*125.50**~SVC*HC:99213*100~SE*4*0001~GE*1*1~IEA*1*000000001~"), Number, nil)
	if want := []string{"CLP*P1*1*125.5", "SVC*HC:99213*100"}; !slices.Equal(a, want) {
		t.Fatalf("Body = %q, want %q", a, want)
	}
	b := Body([]byte(isa+"CLP*P1*1*125.5~SE*3*0001~GE*1*1~IEA*1*000000001~"), Number, nil)
	if lost := Lost(a, b); !slices.Equal(lost, []string{"SVC*HC:99213*100"}) {
		t.Fatalf("Lost = %q", lost)
	}
	if lost := Lost(a, a); len(lost) != 0 {
		t.Fatalf("Lost of a file against itself = %q", lost)
	}
}
