package targets

import "testing"

func TestParse(t *testing.T) {
	t.Parallel()
	got, err := Parse("x", []string{" a=http://10.0.0.1:2379 ", "https://h:1/p?q=1", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "a" || got[0].URL.String() != "http://10.0.0.1:2379" ||
		got[1].Name != "h:1" || got[1].URL.String() != "https://h:1/p?q=1" {
		t.Errorf("got %+v", got)
	}
	for _, bad := range [][]string{
		{"ftp://h:1"}, {"h:1"}, {"a=notaurl"}, {"http://"}, {"a=http://h:1", "a=http://h:2"},
		{"http://user:pw@h:1"}, {"=http://h:1"},
	} {
		if _, err := Parse("x", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
