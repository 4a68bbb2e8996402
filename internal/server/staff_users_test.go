package server_test

import (
	"net/http"
	"testing"

	"lawka/internal/server/servertest"
)

// TestStaffSeeWhoIsAMember: the staff's list of people says who is a member of the
// coalition, as the person's own /me does.
func TestStaffSeeWhoIsAMember(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Options{})
	admin := s.API(t)
	admin.Login("admin@example.org", "lawka-demo-2026")
	r := admin.Do(http.MethodGet, "/api/v1/admin/users?q=Anna", nil)
	var list struct {
		Items []struct {
			DisplayName string `json:"display_name"`
			Member      bool
		}
	}
	r.JSON(t, &list)
	if len(list.Items) != 1 || !list.Items[0].Member {
		t.Fatalf("Anna, a confirmed signatory, in the staff's list: %s", r.Body)
	}
	anna := s.API(t)
	anna.Login("anna.mieszkanka@example.org", "lawka-demo-2026")
	var me struct{ User struct{ Member bool } }
	anna.Do(http.MethodGet, "/api/v1/me", nil).JSON(t, &me)
	if !me.User.Member {
		t.Fatal("Anna's own /me says she is not a member")
	}
}
