package neighbourhood

import (
	"context"
	"fmt"
)

// Districts are Kraków's 18 dzielnice by number.
var Districts = []struct{ Slug, Name string }{
	{"stare-miasto", "Stare Miasto"},
	{"grzegorzki", "Grzegórzki"},
	{"pradnik-czerwony", "Prądnik Czerwony"},
	{"pradnik-bialy", "Prądnik Biały"},
	{"krowodrza", "Krowodrza"},
	{"bronowice", "Bronowice"},
	{"zwierzyniec", "Zwierzyniec"},
	{"debniki", "Dębniki"},
	{"lagiewniki-borek-falecki", "Łagiewniki-Borek Fałęcki"},
	{"swoszowice", "Swoszowice"},
	{"podgorze-duchackie", "Podgórze Duchackie"},
	{"biezanow-prokocim", "Bieżanów-Prokocim"},
	{"podgorze", "Podgórze"},
	{"czyzyny", "Czyżyny"},
	{"mistrzejowice", "Mistrzejowice"},
	{"bienczyce", "Bieńczyce"},
	{"wzgorza-krzeslawickie", "Wzgórza Krzesławickie"},
	{"nowa-huta", "Nowa Huta"},
}

// Topics are the neighbourhood themes the coalition works on.
var Topics = []struct {
	Slug  string
	Names map[string]string
}{
	{"miejsca-spotkan", map[string]string{"pl": "Miejsca spotkań sąsiedzkich", "en": "Neighbourhood meeting places", "uk": "Місця сусідських зустрічей"}},
	{"lokale-dla-ngo", map[string]string{"pl": "Lokale dla organizacji pozarządowych", "en": "Premises for NGOs", "uk": "Приміщення для громадських організацій"}},
	{"kultura-i-historia", map[string]string{"pl": "Kultura i historia", "en": "Culture and history", "uk": "Культура та історія"}},
	{"wlaczanie", map[string]string{"pl": "Włączanie społeczne", "en": "Inclusion", "uk": "Соціальне залучення"}},
	{"zielen", map[string]string{"pl": "Zieleń i wspólne przestrzenie", "en": "Green and shared spaces", "uk": "Зелень і спільні простори"}},
	{"bezpieczenstwo", map[string]string{"pl": "Bezpieczeństwo", "en": "Safety", "uk": "Безпека"}},
}

// Seed adds the districts and topics; running it again changes nothing.
func (s *Store) Seed(ctx context.Context) error {
	for i, d := range Districts {
		if err := s.EnsureDistrict(ctx, i+1, d.Slug, d.Name); err != nil {
			return fmt.Errorf("district %s: %w", d.Name, err)
		}
	}
	for i, t := range Topics {
		if err := s.EnsureTopic(ctx, t.Slug, t.Names, i+1); err != nil {
			return fmt.Errorf("topic %s: %w", t.Slug, err)
		}
	}
	return nil
}
