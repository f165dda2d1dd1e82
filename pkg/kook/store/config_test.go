package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestConfigHidesPassword: however a Config is printed, the password of
// its digest credentials is not, even when the value lacks the colon that
// would separate it from the user.
func TestConfigHidesPassword(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	for _, digest := range []string{"admin:" + secret, secret, "admin:" + secret + ":more", ":" + secret} {
		c := Config{Servers: []string{"zk:2181"}, Root: "/kook", Digest: digest, WorldRead: true}
		for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v|%+v|%#v|%s", c, c, c, c), fmt.Sprint(&c), fmt.Sprintf("%#v", &c)} {
			if strings.Contains(s, secret) {
				t.Errorf("digest %q: printing a Config shows the password: %s", digest, s)
			}
			if !strings.Contains(s, "zk:2181") || !strings.Contains(s, "***") {
				t.Errorf("digest %q: printing a Config hides too much: %s", digest, s)
			}
		}
	}
}
