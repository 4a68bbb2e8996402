package debate

import (
	"fmt"
	"html"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// quiet is the blank margin around a QR code, in modules (the standard asks for four).
const quiet = 4

// QRSVG draws link as a QR code in SVG: black modules on white with the quiet margin,
// one path of horizontal runs, scalable to any size; title names it for screen readers.
func QRSVG(link, title string) ([]byte, error) {
	code, err := qr.Encode(link, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	n := code.Bounds().Dx()
	size := n + 2*quiet
	var path strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; {
			if !dark(code.At(x, y)) {
				x++
				continue
			}
			run := 1
			for x+run < n && dark(code.At(x+run, y)) {
				run++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s">`+
		`<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, html.EscapeString(title), html.EscapeString(title), size, size, path.String())
	return []byte(svg), nil
}

// dark says whether a module is set (the encoder gives black or white).
func dark(c interface{ RGBA() (r, g, b, a uint32) }) bool {
	r, _, _, _ := c.RGBA()
	return r < 0x8000
}
