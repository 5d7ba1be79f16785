package etcd

import "testing"

// Only members that are up are judged: two up on different versions
// drift by one whatever the down member ran; none up is unknown, not "no
// drift".
func TestJudgementMembers(t *testing.T) {
	j := Judgement{Minimum: DefaultMinimum()}
	st := []MemberStatus{{Up: true, Version: "3.5.21"}, {Up: true, Version: "3.6.4"}, {Up: false, Version: "3.4.1"}}
	v, ok := j.Members(st)
	if !ok || v.Drift != 1 || len(v.Versions) != 2 {
		t.Errorf("verdict %+v, %v: want drift 1 over the two members up", v, ok)
	}
	if _, ok := j.Members([]MemberStatus{{Version: "3.6.4"}}); ok {
		t.Error("no member up: the verdict must be unknown")
	}
}
