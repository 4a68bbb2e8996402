package proposal

import (
	"encoding/xml"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"lawka/internal/platform/auth"
	"lawka/internal/platform/httpx"
)

// An Atom feed of a district's newest proposals, for feed readers and for the
// district's own website.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Published string      `xml:"published"`
	Author    atomPerson  `xml:"author"`
	Link      atomLink    `xml:"link"`
	Category  string      `xml:"category,omitempty"`
	Content   atomContent `xml:"content"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// Feed answers GET /dzielnice/{slug}/propozycje.atom.
func (h *Handlers) Feed(c *fiber.Ctx) error {
	ctx := c.UserContext()
	district, err := h.places.DistrictBySlug(ctx, c.Params("slug"))
	if err != nil {
		return err
	}
	list, _, err := h.svc.List(ctx, auth.Principal{}, Filter{NeighbourhoodID: district.ID, Limit: 30})
	if err != nil {
		return err
	}
	l := httpx.L(c)
	base := h.publicURL
	self := fmt.Sprintf("%s/dzielnice/%s/propozycje.atom", base, c.Params("slug"))
	feed := atomFeed{ID: self, Title: l.T("proposals.feed_title", "District", district.Name),
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: fmt.Sprintf("%s/propozycje?neighbourhood_id=%d", base, district.ID)}}}
	for i, pr := range list {
		if i == 0 || pr.UpdatedAt.After(mustParse(feed.Updated)) {
			feed.Updated = pr.UpdatedAt.UTC().Format(time.RFC3339)
		}
		author := l.T("proposals.by_erased")
		if pr.Author != nil {
			author = pr.Author.DisplayName
		}
		link := fmt.Sprintf("%s/propozycje/%d", base, pr.ID)
		feed.Entries = append(feed.Entries, atomEntry{ID: link, Title: pr.Title, Link: atomLink{Rel: "alternate", Href: link},
			Updated: pr.UpdatedAt.UTC().Format(time.RFC3339), Published: pr.CreatedAt.UTC().Format(time.RFC3339),
			Author: atomPerson{Name: author}, Category: l.T("proposals.status_" + pr.Status),
			Content: atomContent{Type: "html", Body: string(pr.BodyHTML)}})
	}
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	return c.Send(append([]byte(xml.Header), out...))
}

func mustParse(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
