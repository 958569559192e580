// The city dashboard's volume chart: monthly bars, the cumulative line, the target, and the forecast band
// from today to the period's end. Data comes from the page (json_script), the library from our static files.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("volume-chart");
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!holder || !window.echarts) { return; }
  var months = data.months.slice();
  var last = data.cumulative.length ? data.cumulative[data.cumulative.length - 1] : 0;
  var band = [], point = [];
  if (data.forecast && months.length) {
    var endIndex = months.indexOf(data.forecast.end);
    if (endIndex < 0) { months.push(data.forecast.end); endIndex = months.length - 1; }
    for (var i = 0; i < months.length; i++) {
      if (i < data.cumulative.length - 1) { band.push(null); point.push(null); continue; }
      var f = (i - (data.cumulative.length - 1)) / Math.max(endIndex - (data.cumulative.length - 1), 1);
      point.push(last + (data.forecast.point - last) * f);
      band.push([last + (data.forecast.low - last) * f, last + (data.forecast.high - last) * f]);
    }
  }
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var chart = window.echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: months },
    yAxis: [{ type: "value", name: zh ? "亿元" : "100M yuan" }],
    series: [
      { name: zh ? "当月放款" : "Monthly", type: "bar", data: data.amount },
      { name: zh ? "累计" : "Cumulative", type: "line", data: data.cumulative, showSymbol: false },
      { name: zh ? "预测区间下限" : "Forecast low", type: "line", stack: "band", data: band.map(function (b) { return b && b[0]; }), lineStyle: { opacity: 0 }, showSymbol: false },
      { name: zh ? "预测区间" : "Forecast band", type: "line", stack: "band", data: band.map(function (b) { return b && b[1] - b[0]; }), lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 }, showSymbol: false },
      { name: zh ? "预测" : "Forecast", type: "line", data: point, lineStyle: { type: "dashed" }, showSymbol: false,
        markLine: data.target ? { symbol: "none", data: [{ yAxis: data.target, name: zh ? "目标" : "Target" }] } : undefined }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
