package org.s3mp.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The empirical CDF of reading delays, all modes on one chart (like the paper's Fig. 8). */
final class CdfChart {
  private CdfChart() {}

  static void write(Map<String, List<Reading>> byMode, Path png) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, List<Reading>> e : byMode.entrySet()) {
      long[] us = e.getValue().stream().filter(Reading::ok).mapToLong(Reading::delayMicros).sorted().toArray();
      XYSeries s = new XYSeries(e.getKey());
      for (int i = 0; i < us.length; i++) {
        s.add(us[i] / 1000.0, (i + 1) / (double) us.length);
      }
      data.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart("DLMS reading delay (CDF)", "delay [ms]",
        "fraction of readings", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYStepRenderer r = new XYStepRenderer();
    Color[] colors = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
    for (int i = 0; i < data.getSeriesCount(); i++) {
      r.setSeriesPaint(i, colors[i % colors.length]);
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 560);
  }
}
