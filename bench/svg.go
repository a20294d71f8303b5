package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The charts are plain SVG written by hand, for PERF.md: held.svg (time to
// open N held connections and memory per connection, against N) and
// throughput.svg (bulk MB/s and new connections per second). Each point or
// bar is a median with a min–max whisker.

const (
	colOurs = "#1f77b4"
	colRef  = "#e6550d"
	panelW  = 420.0
	panelH  = 300.0
	marginL = 70.0
	marginT = 50.0
	gap     = 110.0
)

// writeSVGs writes the charts into dir.
func writeSVGs(dir string, r *results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{"held.svg": heldSVG(r), "throughput.svg": throughputSVG(r)}
	for name, body := range files {
		if body == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// axis maps values to a panel's vertical pixels, linear from zero or log.
type axis struct {
	lo, hi float64
	log    bool
	top, h float64
}

func (a axis) y(v float64) float64 {
	if a.log {
		v = math.Max(v, a.lo)
		return a.top + a.h*(1-(math.Log10(v)-math.Log10(a.lo))/(math.Log10(a.hi)-math.Log10(a.lo)))
	}
	return a.top + a.h*(1-(v-a.lo)/(a.hi-a.lo))
}

// ticks are the labelled values: decades (and 2, 5) on a log axis, a 1-2-5
// step on a linear one.
func (a axis) ticks() []float64 {
	var t []float64
	if a.log {
		for d := a.lo; d <= a.hi*1.0001; d *= 10 {
			for _, m := range []float64{1, 2, 5} {
				if v := d * m; v <= a.hi*1.0001 {
					t = append(t, v)
				}
			}
		}
		return t
	}
	step := niceStep(a.hi / 5)
	for v := 0.0; v <= a.hi*1.0001; v += step {
		t = append(t, v)
	}
	return t
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func linearAxis(max, top, h float64) axis {
	s := niceStep(max * 1.1 / 5)
	return axis{lo: 0, hi: math.Max(s, math.Ceil(max*1.1/s)*s), top: top, h: h}
}

func logAxis(min, max, top, h float64) axis {
	lo := math.Pow(10, math.Floor(math.Log10(min)))
	hi := math.Pow(10, math.Ceil(math.Log10(max)))
	if hi <= lo {
		hi = lo * 10
	}
	return axis{lo: lo, hi: hi, log: true, top: top, h: h}
}

// canvas accumulates SVG elements.
type canvas struct{ b strings.Builder }

func newCanvas(w, h float64, title string) *canvas {
	c := &canvas{}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&c.b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	c.text(w/2, 22, "middle", 15, title)
	return c
}

func (c *canvas) text(x, y float64, anchor string, size int, s string) {
	fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d">%s</text>`+"\n", x, y, anchor, size, html.EscapeString(s))
}

func (c *canvas) line(x1, y1, x2, y2 float64, color string, width float64, dash string) {
	extra := ""
	if dash != "" {
		extra = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	fmt.Fprintf(&c.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s/>`+"\n", x1, y1, x2, y2, color, width, extra)
}

func (c *canvas) done() string {
	c.b.WriteString("</svg>\n")
	return c.b.String()
}

// frame draws a panel's title, y axis with grid and labels, and x baseline.
func (c *canvas) frame(x0 float64, a axis, title, ylabel string) {
	c.text(x0+panelW/2, a.top-12, "middle", 13, title)
	for _, t := range a.ticks() {
		y := a.y(t)
		c.line(x0, y, x0+panelW, y, "#ddd", 1, "")
		c.text(x0-6, y+4, "end", 11, strconv.FormatFloat(t, 'f', -1, 64))
	}
	c.line(x0, a.top, x0, a.top+a.h, "#333", 1, "")
	c.line(x0, a.top+a.h, x0+panelW, a.top+a.h, "#333", 1, "")
	fmt.Fprintf(&c.b, `<text transform="translate(%.1f,%.1f) rotate(-90)" text-anchor="middle" font-size="11">%s</text>`+"\n",
		x0-50, a.top+a.h/2, html.EscapeString(ylabel))
}

// legend draws colour keys in a row under the panels.
func (c *canvas) legend(y float64, items []legendItem) {
	x := marginL
	for _, it := range items {
		c.line(x, y-4, x+24, y-4, it.color, 2.5, it.dash)
		c.text(x+30, y, "start", 12, it.label)
		x += 40 + 7*float64(len(it.label))
	}
}

type legendItem struct{ label, color, dash string }

// series is one line of a held chart: a side's medians (and ranges) by N.
type series struct {
	color, dash string
	pts         []seriesPoint
}

type seriesPoint struct {
	x  float64
	sm summary
}

func (c *canvas) series(a axis, s series) {
	var path []string
	for _, p := range s.pts {
		path = append(path, fmt.Sprintf("%.1f,%.1f", p.x, a.y(p.sm.med.V)))
		c.line(p.x, a.y(p.sm.lo.V), p.x, a.y(p.sm.hi.V), s.color, 1, "")
		x, y := p.x, a.y(p.sm.med.V)
		if p.sm.med.Over {
			// Hit the time limit: an open triangle pointing up, "more than".
			fmt.Fprintf(&c.b, `<path d="M%.1f %.1fl5 9h-10z" fill="white" stroke="%s" stroke-width="1.5"/>`+"\n", x, y-6, s.color)
			c.text(x+8, y-6, "start", 11, "> "+num(p.sm.med.V)+" s")
			continue
		}
		fmt.Fprintf(&c.b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", x, y, s.color)
	}
	if len(path) > 1 {
		extra := ""
		if s.dash != "" {
			extra = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&c.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
			strings.Join(path, " "), s.color, extra)
	}
}

// heldSVG charts time to open and memory per connection against N.
func heldSVG(r *results) string {
	var ns []int
	for _, m := range r.Metrics {
		if m.N != 0 && strings.HasSuffix(m.Key, ".open") {
			ns = append(ns, m.N)
		}
	}
	if len(ns) == 0 {
		return ""
	}
	xs := func(x0 float64, i int) float64 { return x0 + panelW*(float64(i)+0.5)/float64(len(ns)) }
	pick := func(suffix string, ours bool, x0 float64) (series, float64, float64) {
		s := series{}
		lo, hi := math.Inf(1), 0.0
		for i, n := range ns {
			m := r.find(fmt.Sprintf("held-%d%s", n, suffix))
			if m == nil {
				continue
			}
			ss := m.Ref
			if ours {
				ss = m.Ours
			}
			if sm, ok := summarize(ss); ok {
				s.pts = append(s.pts, seriesPoint{x: xs(x0, i), sm: sm})
				lo, hi = math.Min(lo, sm.lo.V), math.Max(hi, sm.hi.V)
			}
		}
		return s, lo, hi
	}

	c := newCanvas(2*panelW+gap+marginL+30, marginT+panelH+80, "Held connections: cost as their number grows")
	x0, x1 := marginL, marginL+panelW+gap

	// Time to open: log scale, since the reference grows much faster than linearly.
	so, lo1, hi1 := pick(".open", true, x0)
	sr, lo2, hi2 := pick(".open", false, x0)
	lo, hi := math.Min(lo1, lo2), math.Max(hi1, hi2)
	if hi > 0 {
		a := logAxis(math.Max(lo, 1e-3), hi, marginT, panelH)
		c.frame(x0, a, "time to open N, one after another", "seconds (log scale)")
		so.color, sr.color = colOurs, colRef
		c.series(a, sr)
		c.series(a, so)
	}

	// Memory: linear, per daemon and side.
	var all []series
	top := 0.0
	for _, v := range []struct {
		suffix, dash string
		ours         bool
	}{{".enc", "", true}, {".dec", "6,3", true}, {".enc", "", false}, {".dec", "6,3", false}} {
		s, _, h := pick(v.suffix, v.ours, x1)
		s.dash, s.color = v.dash, colRef
		if v.ours {
			s.color = colOurs
		}
		all = append(all, s)
		top = math.Max(top, h)
	}
	if top > 0 {
		a := linearAxis(top, marginT, panelH)
		c.frame(x1, a, "resident memory per held connection", "KiB per connection")
		for _, s := range all {
			c.series(a, s)
		}
	}
	for i, n := range ns {
		for _, x := range []float64{x0, x1} {
			c.text(xs(x, i), marginT+panelH+16, "middle", 11, fmt.Sprint(n))
		}
	}
	c.text(x0+panelW/2, marginT+panelH+34, "middle", 12, "N held connections")
	c.text(x1+panelW/2, marginT+panelH+34, "middle", 12, "N held connections")
	c.legend(marginT+panelH+64, []legendItem{
		{"ours", colOurs, ""}, {"reference", colRef, ""},
		{"-e (solid)", "#555", ""}, {"-d (dashed)", "#555", "6,3"},
	})
	return c.done()
}

// throughputSVG draws grouped bars: bulk MB/s, and new connections per second.
func throughputSVG(r *results) string {
	type group struct{ label, key string }
	panels := []struct {
		title, unit string
		groups      []group
	}{
		{"bulk throughput through -e and -d", "MB/s", []group{{"1 stream", "bulk-1.mbps"}, {"8 streams", "bulk-8.mbps"}}},
		{"new connections, 8 clients", "connections/s", []group{{"forward secret", "connect.rate"}, {"-f", "connect-f.rate"}}},
	}
	c := newCanvas(2*panelW+gap+marginL+30, marginT+panelH+80, "Throughput: ours vs reference")
	drew := false
	for pi, p := range panels {
		x0 := marginL + float64(pi)*(panelW+gap)
		top := 0.0
		for _, g := range p.groups {
			if m := r.find(g.key); m != nil {
				for _, ss := range [][]sample{m.Ours, m.Ref} {
					if sm, ok := summarize(ss); ok {
						top = math.Max(top, sm.hi.V)
					}
				}
			}
		}
		if top == 0 {
			continue
		}
		drew = true
		a := linearAxis(top, marginT, panelH)
		c.frame(x0, a, p.title, p.unit)
		slot := panelW / float64(len(p.groups))
		for gi, g := range p.groups {
			gx := x0 + slot*float64(gi)
			c.text(gx+slot/2, marginT+panelH+16, "middle", 12, g.label)
			m := r.find(g.key)
			if m == nil {
				continue
			}
			for bi, side := range []struct {
				ss    []sample
				color string
			}{{m.Ours, colOurs}, {m.Ref, colRef}} {
				sm, ok := summarize(side.ss)
				if !ok {
					continue
				}
				bw := slot * 0.3
				bx := gx + slot*0.2 + float64(bi)*bw
				y := a.y(sm.med.V)
				fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n",
					bx, y, bw-4, a.top+a.h-y, side.color)
				mid := bx + (bw-4)/2
				c.line(mid, a.y(sm.lo.V), mid, a.y(sm.hi.V), "#222", 1.2, "")
				c.text(mid, math.Min(y, a.y(sm.hi.V))-6, "middle", 11, num(sm.med.V))
			}
		}
	}
	if !drew {
		return ""
	}
	c.legend(marginT+panelH+64, []legendItem{{"ours", colOurs, ""}, {"reference", colRef, ""}})
	return c.done()
}
