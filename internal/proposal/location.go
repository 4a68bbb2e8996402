package proposal

// A proposal's optional place: a label in words, a point on the map, or both.

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"lawka/internal/platform/problem"
	"lawka/internal/platform/render"
)

// Box is a latitude/longitude rectangle, in degrees.
type Box struct{ South, North, West, East float64 }

// Contains says whether the point lies in the box (edges included).
func (b Box) Contains(lat, lon float64) bool {
	return lat >= b.South && lat <= b.North && lon >= b.West && lon <= b.East
}

// Krakow is where a proposal's point may lie: the city's bounding box (its extreme
// points are about 49.967–50.126 N and 19.792–20.217 E) with a few hundred metres to
// spare, so places on the city's edge are never refused. The map picker (location.js)
// keeps to the same box.
var Krakow = Box{South: 49.96, North: 50.13, West: 19.78, East: 20.23}

// MaxLocationLabel is how long a place's label may be, in characters.
const MaxLocationLabel = 200

// checkLocation adds what is wrong with in's place to bad: a label too long, a
// coordinate that is not a number (a form's text that did not parse arrives as NaN),
// one coordinate without the other, a point outside Kraków.
func checkLocation(in *Input, bad problem.Fields) {
	if utf8.RuneCountInString(in.LocationLabel) > MaxLocationLabel {
		bad.Add("location_label", "proposals.location_too_long")
	}
	lat, lon := in.Latitude, in.Longitude
	finite := func(field string, v *float64) bool {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			bad.Add(field, "proposal_location.not_a_number")
			return false
		}
		return v != nil
	}
	latOK, lonOK := finite("latitude", lat), finite("longitude", lon)
	switch {
	case lat == nil && lon != nil:
		bad.Add("latitude", "proposal_location.both")
	case lon == nil && lat != nil:
		bad.Add("longitude", "proposal_location.both")
	case latOK && lonOK:
		if *lat < Krakow.South || *lat > Krakow.North {
			bad.Add("latitude", "proposal_location.outside")
		}
		if *lon < Krakow.West || *lon > Krakow.East {
			bad.Add("longitude", "proposal_location.outside")
		}
	}
}

// coordinateFrom reads a coordinate typed in a form: "" is none, a decimal comma is
// accepted ("50,0440"), and text that is no number becomes NaN for checkLocation.
func coordinateFrom(raw string) *float64 {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	v, err := strconv.ParseFloat(strings.Replace(strings.TrimSuffix(raw, "°"), ",", ".", 1), 64)
	if err != nil {
		v = math.NaN()
	}
	return &v
}

// locationFrom reads the place fields of the posted form into in.
func locationFrom(form *render.Form, in *Input) {
	in.LocationLabel = form.Values["location_label"]
	in.Latitude, in.Longitude = coordinateFrom(form.Values["latitude"]), coordinateFrom(form.Values["longitude"])
}

// locationForm fills the place fields of the edit form.
func locationForm(form *render.Form, l *Location) {
	if l == nil {
		return
	}
	form.Values["location_label"] = l.Label
	if l.HasPoint() {
		form.Values["latitude"] = strconv.FormatFloat(*l.Latitude, 'f', -1, 64)
		form.Values["longitude"] = strconv.FormatFloat(*l.Longitude, 'f', -1, 64)
	}
}

// HasPoint says whether the place is on the map.
func (l Location) HasPoint() bool { return l.Latitude != nil && l.Longitude != nil }

// coord writes a coordinate to five decimals (about a metre).
func coord(v float64) string { return strconv.FormatFloat(v, 'f', 5, 64) }

// Coords is the point as people read it ("50.04400° N, 19.94900° E").
func (l Location) Coords() string {
	if !l.HasPoint() {
		return ""
	}
	return coord(*l.Latitude) + "° N, " + coord(*l.Longitude) + "° E"
}

// OSMURL opens the point on openstreetmap.org, with a marker.
func (l Location) OSMURL() string {
	if !l.HasPoint() {
		return ""
	}
	lat, lon := coord(*l.Latitude), coord(*l.Longitude)
	return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=17/" + lat + "/" + lon
}

// Short is the place in a list: its label, else its coordinates.
func (l Location) Short() string {
	if l.Label != "" {
		return l.Label
	}
	return l.Coords()
}
