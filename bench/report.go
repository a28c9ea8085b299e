package bench

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// WriteReport writes one self-contained HTML page comparing rs: a table of
// every run's figures, throughput bars and percentile latency curves on a
// log axis, drawn as inline SVG (no script, no external resource, so it
// opens anywhere, offline).
func WriteReport(w io.Writer, title string, rs []*Result) error {
	if len(rs) == 0 {
		return fmt.Errorf("%w: report needs at least one result", ErrConfig)
	}
	data := reportData{Title: title, Runs: rs, Bars: throughputBars(rs), Curves: latencyCurves(rs)}
	if err := reportTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("bench: render report: %w", err)
	}
	return nil
}

// palette is colour-blind friendly (Okabe-Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

type reportData struct {
	Title  string
	Runs   []*Result
	Bars   barChart
	Curves curveChart
}

type barChart struct {
	Width, Height int
	Bars          []bar
}

type bar struct {
	Y, W          float64
	Label, Value  string
	Color         string
	TextX, LabelY float64
}

const (
	chartW      = 820
	barLabelW   = 260
	barRowH     = 28
	curveH      = 380
	curveLeft   = 70
	curveBottom = 40
	curveTop    = 20
	curveRight  = 20
)

func throughputBars(rs []*Result) barChart {
	maxV := 0.0
	for _, r := range rs {
		maxV = math.Max(maxV, r.Throughput)
	}
	c := barChart{Width: chartW, Height: barRowH*len(rs) + 10}
	for i, r := range rs {
		wid := 0.0
		if maxV > 0 {
			wid = r.Throughput / maxV * float64(chartW-barLabelW-120)
		}
		y := float64(i*barRowH + 5)
		c.Bars = append(c.Bars, bar{Y: y, W: math.Max(wid, 1), Label: r.Name + " · " + r.Scenario,
			Value: fmt.Sprintf("%.0f %s", r.Throughput, r.ThroughputUnit), Color: palette[i%len(palette)],
			TextX: barLabelW + math.Max(wid, 1) + 6, LabelY: y + 15})
	}
	return c
}

type curveChart struct {
	Width, Height int
	Lines         []curveLine
	XTicks        []tick
	YTicks        []tick
	Left, Bottom  int
	Right, Top    int
}

type curveLine struct {
	Points  string
	Color   string
	Name    string
	LegendY float64
}

type tick struct {
	Pos   float64
	Label string
}

// latencyCurves draws latency against percentile, with x = log10(1/(1-p)),
// so 90, 99, 99.9 and 99.99 are equally spaced, and y on a log scale.
func latencyCurves(rs []*Result) curveChart {
	c := curveChart{Width: chartW, Height: curveH, Left: curveLeft, Bottom: curveH - curveBottom, Right: chartW - curveRight, Top: curveTop}
	const maxX = 5.0 // 99.999th
	px := func(p float64) float64 {
		x := maxX
		if p < 100 {
			x = math.Min(maxX, math.Log10(1/(1-p/100)))
		}
		return float64(c.Left) + x/maxX*float64(c.Right-c.Left)
	}
	lo, hi := math.Inf(1), 0.0
	for _, r := range rs {
		for _, pt := range r.Latency.Curve {
			if pt.Us > 0 {
				lo, hi = math.Min(lo, pt.Us), math.Max(hi, pt.Us)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1, 10
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	py := func(us float64) float64 {
		us = math.Max(us, lo)
		f := (math.Log10(us) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo))
		return float64(c.Bottom) - f*float64(c.Bottom-c.Top)
	}
	for _, p := range []float64{0, 90, 99, 99.9, 99.99, 99.999} {
		c.XTicks = append(c.XTicks, tick{Pos: px(p), Label: strings.TrimSuffix(fmt.Sprintf("%g%%", p), "")})
	}
	for v := lo; v <= hi*1.0001; v *= 10 {
		c.YTicks = append(c.YTicks, tick{Pos: py(v), Label: fmtUs(v)})
	}
	for i, r := range rs {
		var sb strings.Builder
		for _, pt := range r.Latency.Curve {
			fmt.Fprintf(&sb, "%.1f,%.1f ", px(pt.Percentile), py(pt.Us))
		}
		c.Lines = append(c.Lines, curveLine{Points: strings.TrimSpace(sb.String()), Color: palette[i%len(palette)],
			Name: r.Name + " · " + r.Scenario, LegendY: float64(c.Top + 14 + 18*i)})
	}
	return c
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"us":  fmtUs,
	"mib": func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) },
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"f0":  func(f float64) string { return fmt.Sprintf("%.0f", f) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
svg text{font-size:12px;font-family:system-ui,sans-serif}
.axis{stroke:#888}.grid{stroke:#eee}
</style></head><body>
<h1>{{.Title}}</h1>
<h2>Runs</h2>
<table>
<tr><th>run</th><th>scenario</th><th>target</th><th>serializer</th><th>load</th><th>sessions</th><th>throughput</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th><th>sent</th><th>received</th><th>lost</th><th>errors</th><th>router CPU µs/op</th><th>baseline ratio</th><th>machine</th></tr>
{{range .Runs}}<tr><td>{{.Name}}</td><td>{{.Scenario}}</td><td>{{.Target.Kind}} {{.Target.URL}}</td><td>{{.Target.Serializer}}/{{.Target.Transport}}</td><td>{{.LoadModel}}{{if eq .LoadModel "open"}} {{f0 .Rate}}/s{{end}}</td><td>{{.Sessions}}</td><td>{{f0 .Throughput}} {{.ThroughputUnit}}</td><td>{{us .Latency.P50}}</td><td>{{us .Latency.P90}}</td><td>{{us .Latency.P99}}</td><td>{{us .Latency.P999}}</td><td>{{us .Latency.P9999}}</td><td>{{us .Latency.MaxUs}}</td><td>{{.Sent}}</td><td>{{.Received}}</td><td>{{.Lost}}</td><td>{{.Errors}}</td><td>{{if gt .RouterCPUUsPerOp 0.0}}{{printf "%.2f" .RouterCPUUsPerOp}}{{else}}–{{end}}</td><td>{{with .Baseline}}{{pct .Ratio}}{{else}}–{{end}}</td><td>{{.Machine.CPUModel}}, {{.Machine.Cores}} cores, {{.Machine.GoVersion}}</td></tr>
{{end}}</table>
<h2>Throughput</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Bars.Width}}" height="{{.Bars.Height}}" role="img" aria-label="throughput bars">
{{range .Bars.Bars}}<text x="0" y="{{.LabelY}}">{{.Label}}</text><rect x="260" y="{{.Y}}" width="{{.W}}" height="20" fill="{{.Color}}"></rect><text x="{{.TextX}}" y="{{.LabelY}}">{{.Value}}</text>
{{end}}</svg>
<h2>Latency by percentile</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Curves.Width}}" height="{{.Curves.Height}}" role="img" aria-label="latency percentile curves">
{{$c := .Curves}}{{range .Curves.XTicks}}<line class="grid" x1="{{.Pos}}" x2="{{.Pos}}" y1="{{$c.Top}}" y2="{{$c.Bottom}}"></line><text x="{{.Pos}}" y="{{$c.Height}}" text-anchor="middle" dy="-20">{{.Label}}</text>
{{end}}{{range .Curves.YTicks}}<line class="grid" x1="{{$c.Left}}" x2="{{$c.Right}}" y1="{{.Pos}}" y2="{{.Pos}}"></line><text x="{{$c.Left}}" y="{{.Pos}}" text-anchor="end" dx="-4" dy="4">{{.Label}}</text>
{{end}}<line class="axis" x1="{{$c.Left}}" x2="{{$c.Left}}" y1="{{$c.Top}}" y2="{{$c.Bottom}}"></line><line class="axis" x1="{{$c.Left}}" x2="{{$c.Right}}" y1="{{$c.Bottom}}" y2="{{$c.Bottom}}"></line>
<text x="{{$c.Right}}" y="{{$c.Height}}" text-anchor="end" dy="-4">percentile (log scale of 1/(1-p))</text>
{{range .Curves.Lines}}<polyline fill="none" stroke="{{.Color}}" stroke-width="2" points="{{.Points}}"></polyline><rect x="{{$c.Left}}" y="{{.LegendY}}" dx="10" width="12" height="4" fill="{{.Color}}" transform="translate(10,-6)"></rect><text x="{{$c.Left}}" y="{{.LegendY}}" dx="28">{{.Name}}</text>
{{end}}</svg>
<p>Latency: round trip (rpc), publish to delivery (pubsub, fanout, slow), dial to WELCOME (conns); measured from the intended send time in open loop, so stalls are not hidden by coordinated omission.</p>
</body></html>
`))
