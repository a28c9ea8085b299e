package bench

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// WriteReport writes one self-contained HTML page comparing rs: a table of
// every run's figures, throughput bars (one chart per unit: calls/s and
// events/s are different quantities and never share a scale) and percentile
// latency curves on a log axis, each router run next to its raw baseline
// when it has one, drawn as inline SVG (no script, no external resource, so
// it opens anywhere, offline). The page fits a 1280 px window: the table
// scrolls within its own box and the charts scale down with the page.
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
	Bars   []barChart
	Curves curveChart
}

// barChart is the throughput of the runs sharing one unit.
type barChart struct {
	Unit          string
	Width, Height int
	Bars          []bar
}

// bar is one row: its label on a line of its own above the bar, so a long
// run name is never cut by the bar, and the value after the bar.
type bar struct {
	Y, W          float64
	Label, Value  string
	Color         string
	Baseline      bool // the raw server's figure for the run above it
	TextX, LabelY float64
}

// The charts are drawn for chartW user units and scale down to the page
// (viewBox, max-width 100%); 960 fits a 1280 px window with the page margins.
const (
	chartW      = 960
	barLeft     = 8
	barValueW   = 170 // room for "1234567 sessions/s" after the longest bar
	barRowH     = 44
	barH        = 18
	curveH      = 420
	curveLeft   = 90 // y tick labels and the rotated axis title
	curveBottom = 56 // x tick labels and the axis title below them
	curveTop    = 20
	curveRight  = 48 // half the "99.999%" tick label centred on the right edge
	legendRowH  = 18
)

func throughputBars(rs []*Result) []barChart {
	var units []string
	byUnit := map[string][]int{}
	for i, r := range rs {
		if _, ok := byUnit[r.ThroughputUnit]; !ok {
			units = append(units, r.ThroughputUnit)
		}
		byUnit[r.ThroughputUnit] = append(byUnit[r.ThroughputUnit], i)
	}
	var charts []barChart
	for _, unit := range units {
		maxV := 0.0
		for _, i := range byUnit[unit] {
			maxV = math.Max(maxV, rs[i].Throughput)
			if b := rs[i].Baseline; b != nil {
				maxV = math.Max(maxV, b.Throughput)
			}
		}
		c := barChart{Unit: unit, Width: chartW}
		y := 0.0
		add := func(label string, v float64, color string, baseline bool) {
			wid := 1.0
			if maxV > 0 {
				wid = math.Max(1, v/maxV*float64(chartW-barLeft-barValueW))
			}
			c.Bars = append(c.Bars, bar{Y: y + 20, W: wid, Label: label, Value: fmt.Sprintf("%.0f %s", v, unit),
				Color: color, Baseline: baseline, TextX: barLeft + wid + 6, LabelY: y + 14})
			y += barRowH
		}
		for _, i := range byUnit[unit] {
			r := rs[i]
			color := palette[i%len(palette)]
			add(r.Name+" · "+r.Scenario, r.Throughput, color, false)
			if b := r.Baseline; b != nil {
				add(r.Name+" · raw baseline", b.Throughput, color, true)
			}
		}
		c.Height = int(y) + 4
		charts = append(charts, c)
	}
	return charts
}

type curveChart struct {
	Width, Height int
	Lines         []curveLine
	XTicks        []tick
	YTicks        []tick
	Left, Bottom  int
	Right, Top    int
	// YTitleX, YTitleY place the rotated y axis title, XTitleX, XTitleY
	// the x one.
	YTitleX, YTitleY, XTitleX, XTitleY int
	// LegendTop is where the legend rows start; SwatchX2 ends their lines.
	LegendTop, SwatchX2 int
}

type curveLine struct {
	Points   string
	Color    string
	Name     string
	Baseline bool // drawn dashed: the raw server in the same run
	LegendY  float64
}

type tick struct {
	Pos   float64
	Label string
}

// latencyCurves draws latency against percentile, with x = log10(1/(1-p)),
// so 90, 99, 99.9 and 99.99 are equally spaced, and y on a log scale. Each
// run with a raw baseline gets a second, dashed line in its colour. The
// legend sits below the plot, one row per line, so it never covers a curve.
func latencyCurves(rs []*Result) curveChart {
	type series struct {
		name     string
		curve    []CurvePoint
		color    string
		baseline bool
	}
	var ss []series
	for i, r := range rs {
		color := palette[i%len(palette)]
		ss = append(ss, series{r.Name + " · " + r.Scenario, r.Latency.Curve, color, false})
		if b := r.Baseline; b != nil && len(b.Latency.Curve) > 0 {
			ss = append(ss, series{r.Name + " · raw baseline", b.Latency.Curve, color, true})
		}
	}
	c := curveChart{Width: chartW, Left: curveLeft, Bottom: curveH - curveBottom, Right: chartW - curveRight, Top: curveTop}
	c.XTitleX, c.XTitleY = (c.Left+c.Right)/2, curveH-8
	c.YTitleX, c.YTitleY = 18, (c.Top+c.Bottom)/2
	c.LegendTop = curveH + 8
	c.SwatchX2 = c.Left + 28
	c.Height = c.LegendTop + legendRowH*len(ss) + 4
	const maxX = 5.0 // 99.999th
	px := func(p float64) float64 {
		x := maxX
		if p < 100 {
			x = math.Min(maxX, math.Log10(1/(1-p/100)))
		}
		return float64(c.Left) + x/maxX*float64(c.Right-c.Left)
	}
	lo, hi := math.Inf(1), 0.0
	for _, s := range ss {
		for _, pt := range s.curve {
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
		c.XTicks = append(c.XTicks, tick{Pos: px(p), Label: fmt.Sprintf("%g%%", p)})
	}
	for v := lo; v <= hi*1.0001; v *= 10 {
		c.YTicks = append(c.YTicks, tick{Pos: py(v), Label: fmtUs(v)})
	}
	for i, s := range ss {
		var sb strings.Builder
		for _, pt := range s.curve {
			fmt.Fprintf(&sb, "%.1f,%.1f ", px(pt.Percentile), py(pt.Us))
		}
		c.Lines = append(c.Lines, curveLine{Points: strings.TrimSpace(sb.String()), Color: s.color, Name: s.name,
			Baseline: s.baseline, LegendY: float64(c.LegendTop + 12 + legendRowH*i)})
	}
	return c
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"us":  fmtUs,
	"mib": func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) },
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"f0":  func(f float64) string { return fmt.Sprintf("%.0f", f) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 1em;max-width:1200px;color:#222}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
td.wrap{white-space:normal;min-width:12em;text-align:left}
svg{max-width:100%;height:auto;display:block}
svg text{font-size:13px;font-family:system-ui,sans-serif}
.axis{stroke:#888}.grid{stroke:#eee}
</style></head><body>
<h1>{{.Title}}</h1>
<h2>Runs</h2>
<div class="scroll">
<table>
<tr><th>run</th><th>scenario</th><th>target</th><th>serializer</th><th>load</th><th>sessions</th><th>throughput</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th><th>sent</th><th>received</th><th>lost</th><th>errors</th><th>router CPU µs/op</th><th>baseline throughput</th><th>baseline p50</th><th>baseline p99</th><th>ratio</th><th>machine</th></tr>
{{range .Runs}}<tr><td>{{.Name}}</td><td>{{.Scenario}}</td><td class="wrap">{{.Target.Kind}} {{.Target.URL}}</td><td>{{.Target.Serializer}}/{{.Target.Transport}}</td><td>{{.LoadModel}}{{if eq .LoadModel "open"}} {{f0 .Rate}}/s{{end}}</td><td>{{.Sessions}}</td><td>{{f0 .Throughput}} {{.ThroughputUnit}}</td><td>{{us .Latency.P50}}</td><td>{{us .Latency.P90}}</td><td>{{us .Latency.P99}}</td><td>{{us .Latency.P999}}</td><td>{{us .Latency.P9999}}</td><td>{{us .Latency.MaxUs}}</td><td>{{.Sent}}</td><td>{{.Received}}</td><td>{{.Lost}}</td><td>{{.Errors}}</td><td>{{if gt .RouterCPUUsPerOp 0.0}}{{printf "%.2f" .RouterCPUUsPerOp}}{{else}}–{{end}}</td>{{with .Baseline}}<td>{{f0 .Throughput}}</td><td>{{us .Latency.P50}}</td><td>{{us .Latency.P99}}</td><td>{{pct .Ratio}}</td>{{else}}<td>–</td><td>–</td><td>–</td><td>–</td>{{end}}<td class="wrap">{{.Machine.CPUModel}}, {{.Machine.Cores}} cores, {{.Machine.GoVersion}}</td></tr>
{{end}}</table>
</div>
{{range .Bars}}<h2>Throughput, {{.Unit}}</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="throughput in {{.Unit}}">
{{range .Bars}}<text x="8" y="{{.LabelY}}">{{.Label}}</text><rect x="8" y="{{.Y}}" width="{{.W}}" height="18" fill="{{.Color}}"{{if .Baseline}} fill-opacity="0.4"{{end}}></rect><text x="{{.TextX}}" y="{{.Y}}" dy="14">{{.Value}}</text>
{{end}}</svg>
{{end}}<h2>Latency by percentile</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Curves.Width}}" height="{{.Curves.Height}}" viewBox="0 0 {{.Curves.Width}} {{.Curves.Height}}" role="img" aria-label="latency percentile curves">
{{$c := .Curves}}{{range .Curves.XTicks}}<line class="grid" x1="{{.Pos}}" x2="{{.Pos}}" y1="{{$c.Top}}" y2="{{$c.Bottom}}"></line><text x="{{.Pos}}" y="{{$c.Bottom}}" text-anchor="middle" dy="18">{{.Label}}</text>
{{end}}{{range .Curves.YTicks}}<line class="grid" x1="{{$c.Left}}" x2="{{$c.Right}}" y1="{{.Pos}}" y2="{{.Pos}}"></line><text x="{{$c.Left}}" y="{{.Pos}}" text-anchor="end" dx="-6" dy="4">{{.Label}}</text>
{{end}}<line class="axis" x1="{{$c.Left}}" x2="{{$c.Left}}" y1="{{$c.Top}}" y2="{{$c.Bottom}}"></line><line class="axis" x1="{{$c.Left}}" x2="{{$c.Right}}" y1="{{$c.Bottom}}" y2="{{$c.Bottom}}"></line>
<text x="{{$c.XTitleX}}" y="{{$c.XTitleY}}" text-anchor="middle">percentile (log scale of 1/(1-p))</text>
<text transform="translate({{$c.YTitleX}},{{$c.YTitleY}}) rotate(-90)" text-anchor="middle">latency (log scale)</text>
{{range .Curves.Lines}}<polyline fill="none" stroke="{{.Color}}" stroke-width="2"{{if .Baseline}} stroke-dasharray="6 4"{{end}} points="{{.Points}}"></polyline>
{{end}}{{range .Curves.Lines}}<line x1="{{$c.Left}}" x2="{{$c.SwatchX2}}" y1="{{.LegendY}}" y2="{{.LegendY}}" stroke="{{.Color}}" stroke-width="3"{{if .Baseline}} stroke-dasharray="6 4"{{end}} transform="translate(0,-4)"></line><text x="{{$c.Left}}" y="{{.LegendY}}" dx="36">{{.Name}}</text>
{{end}}</svg>
<p>Latency: round trip (rpc), publish to delivery (pubsub, fanout, slow), dial to WELCOME (conns); measured from the intended send time in open loop, so stalls are not hidden by coordinated omission. Dashed: the raw baseline server measured in the same run (the client's and the kernel's share of the figure).</p>
</body></html>
`))
