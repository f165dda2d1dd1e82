package kook

import (
	"strings"
	"testing"
)

// TestCheckReserved: every place a reserved name can hide is named, in
// order, and a name that only starts like one is not refused.
func TestCheckReserved(t *testing.T) {
	inv := New()
	inv.AddMember("web", "w1")
	inv.Hosts["w1"].Vars["kook_other"] = true
	inv.Groups["web"].Vars["kook_stage"] = 1
	inv.Reconcile()
	if err := inv.CheckReserved(); err != nil {
		t.Fatalf("names that only start like reserved ones: %v", err)
	}
	inv.AddMember("kook_locked", "w2")
	inv.Hosts["w1"].Vars["kook_lock"] = "x"
	inv.Hosts["w1"].FileVars = Vars{"kook_maintenance": true}
	inv.Groups["web"].Vars["kook_maintenance"] = "y"
	inv.Groups["web"].FileVars = Vars{"kook_alive": 1}
	err := inv.CheckReserved()
	want := `group "kook_locked", var "kook_alive" of group_vars/web, var "kook_lock" of host "w1", var "kook_maintenance" of group "web", var "kook_maintenance" of host_vars/w1: the name is reserved`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("CheckReserved: %v\nwant %s...", err, want)
	}
}
