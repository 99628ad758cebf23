package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec.Interface;

/**
 * The dashboard's paths panel on the real SCION testbed: a meter process in the concentrator AS read natively over
 * SCION by the head-end, the topology drawn in headless Chromium with the path of the latest reading highlighted;
 * cutting that path's uplink moves the highlight to the other uplink and lists the failover in the history. And,
 * without the testbed, the geofence alarm for a reading whose recorded path left the fence.
 */
class DashboardPathsIT {

  static final String VIEWER = "viewer-token-of-the-paths-browser-test-1";

  @TempDir Path dir;
  Testbed tb;
  RealMeters.Meter meter;
  Headend headend;
  WebDriver browser;
  HeadlessChromium chromium;
  Interface cut;

  @BeforeEach
  void startBrowser() throws Exception {
    chromium = HeadlessChromium.start(dir, 2400);
    browser = chromium.browser();
  }

  /** A meter process in the concentrator AS, read natively over SCION by the head-end (ISD 1 only, fewest hops). */
  void startScionMeterAndHeadend() throws Exception {
    tb = Testbed.shared();
    Path keys = RealMeters.keys(dir, "s1");
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    meter = RealMeters.start(dir, "s1", keys, 900, 5, List.of("--listen",
        "scion://" + tb.concentrator() + ",[" + ip + "]:0", "--daemon", daemon(tb.concentrator())));
    Path policy = dir.resolve("isd1-only.json");
    Files.writeString(policy, "{\"name\": \"isd1-only\", \"acl\": [\"- 2\", \"+\"], \"allowed_isds\": [1],"
        + " \"order\": \"hops\"}");
    headend = Headend.start(config(new MeterInput("s1", meter.url(), keys.toString(), policy.toString(), false, 1,
        false)), new DlmsMeterConnector(daemon(tb.headEnd())));
  }

  HeadendConfig config(MeterInput meter) {
    return new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 3000, 3600, 1),
        List.of(new HeadendConfig.Token("vera", "viewer", TokenStore.sha256(VIEWER))),
        List.of(meter))
        .withKeysDirectory(dir.toString()).withDefaults();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (cut != null && tb.isLinkDown(cut)) {
        tb.linkUp(cut);
      }
    } finally {
      try {
        if (chromium != null) {
          chromium.close();
        }
      } finally {
        if (headend != null) {
          headend.close();
        }
        if (meter != null) {
          meter.close();
        }
      }
    }
  }

  @Test
  void cuttingTheActiveUplinkMovesTheHighlightedPathAndListsTheFailover() throws Exception {
    startScionMeterAndHeadend();
    // the tables are redrawn live: an element read in one round may be gone in the next, which is then tried again
    org.openqa.selenium.support.ui.FluentWait<org.openqa.selenium.WebDriver> wait =
        new WebDriverWait(browser, Duration.ofSeconds(60)).ignoring(StaleElementReferenceException.class);
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(VIEWER);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("meter-id")).getText().equals("s1"));

    // the topology is drawn from the readings' paths and the latest reading's path is marked on it
    wait.until(d -> !activePath().isEmpty());
    String before = activePath();
    assertThat(before).startsWith("[" + tb.headEnd() + " ").endsWith(" " + tb.concentrator() + "]");
    int hops = before.split(" ").length / 2 + 1;
    assertThat((Long) script("return paths.cy.nodes('.as').length")).isGreaterThanOrEqualTo(hops);
    assertThat(script("return paths.cy.nodes('.on-path').length")).isEqualTo((long) hops);
    assertThat(script("return paths.cy.edges('.on-path').length")).isEqualTo((long) hops - 1);
    wait.until(d -> d.findElement(By.id("geofence")).getText().contains("Readings outside: 0 \u2713"));
    assertThat(browser.findElement(By.id("geofence")).getText()).contains("ISDs 1");

    // cut the uplink where the readings enter the concentrator
    cut = Interface.parse(tb.concentrator() + "#" + before.substring(before.lastIndexOf('>') + 1,
        before.lastIndexOf(' ')));
    tb.linkDown(cut);
    String ingress = ">" + cut.ifid() + " " + tb.concentrator() + "]";
    wait.until(d -> !activePath().isEmpty() && !activePath().equals(before) && !activePath().endsWith(ingress));
    String after = activePath();
    assertThat(script("return paths.cy.edges('.on-path').length")).isEqualTo((long) after.split(" ").length / 2);
    wait.until(d -> !d.findElements(By.cssSelector("#failovers tbody tr[data-to='" + after + "']")).isEmpty());
    String failover = browser.findElement(By.cssSelector("#failovers tbody tr[data-to='" + after + "']")).getText();
    assertThat(failover).contains(before, after);
    // with the reason the transport reported (which of them depends on who notices the cut first)
    String reason = String.valueOf(script("return document.querySelector(\"#failovers tbody tr[data-to='\" + "
        + "arguments[0] + \"'] td:nth-child(4)\").textContent", after));
    assertThat(reason).matches(
        "timeout|SCMP (interface down|internal connectivity down) \\(.*\\)|policy|new association after: .*");
    // the history's row of the path now taken is marked
    wait.until(d -> d.findElements(By.cssSelector("#path-shares tbody tr.selected")).stream()
        .anyMatch(tr -> tr.getText().contains(after)));
    assertThat(browser.findElement(By.id("geofence")).getText()).contains("Readings outside: 0 \u2713");
    Files.write(Files.createDirectories(Path.of("target", "screenshots")).resolve("dashboard-paths.png"),
        browser.findElement(By.id("paths-panel")).getScreenshotAs(OutputType.BYTES));
  }

  /**
   * Paths a fake meter reports (PathApiTest's): a reading through ISD 2 is drawn on a topology that did not have
   * that AS yet, and the geofence line turns into an alarm with the API's count and reasons.
   */
  @Test
  void aReadingOutsideTheGeofenceIsShownAsAnAlarm() throws Exception {
    Path keys = RealMeters.keys(dir, "p1");
    Files.writeString(dir.resolve("fence.json"),
        "{\"name\": \"isd1-ch\", \"allowed_isds\": [1], \"allowed_countries\": [\"CH\"]}");
    FakeMeters meters = new FakeMeters();
    meters.meter("p1").path = PathApiTest.VIA_110;
    headend = Headend.start(config(new MeterInput("p1", "scion://1-ff00:0:111,[127.0.111.1]:4059",
        keys.toString(), dir.resolve("fence.json").toString(), false, 3600, false)), meters);
    Http http = new Http(headend.baseUri());
    assertThat(http.post("/api/meters/p1/read", VIEWER, null).status()).isEqualTo(200);

    org.openqa.selenium.support.ui.FluentWait<org.openqa.selenium.WebDriver> wait =
        new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class);
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(VIEWER);
    browser.findElement(By.id("login")).click();
    wait.until(d -> activePath().equals(PathApiTest.VIA_110.notation()));
    wait.until(d -> "0".equals(d.findElement(By.id("geofence")).getAttribute("data-outside")));
    assertThat(browser.findElement(By.id("geofence")).getAttribute("class")).isEqualTo("ok");
    assertThat(script("return paths.cy.getElementById('2-ff00:0:210').length")).isEqualTo(0L);

    meters.meter("p1").path = PathApiTest.VIA_210;
    assertThat(http.post("/api/meters/p1/read", VIEWER, null).status()).isEqualTo(200);
    wait.until(d -> activePath().equals(PathApiTest.VIA_210.notation()));
    assertThat(script("return paths.cy.getElementById('2-ff00:0:210').hasClass('on-path')")).isEqualTo(true);
    assertThat(script("return paths.cy.getElementById('1-ff00:0:110').hasClass('on-path')")).isEqualTo(false);
    wait.until(d -> "1".equals(d.findElement(By.id("geofence")).getAttribute("data-outside")));
    assertThat(browser.findElement(By.id("geofence")).getAttribute("class")).isEqualTo("alarm");
    assertThat(browser.findElement(By.id("geofence")).getText())
        .contains("Readings outside: 1", "ISD 2 not in [1]", "country DE not in [CH]");
    assertThat(browser.findElement(By.cssSelector("#failovers tbody tr")).getText())
        .contains(PathApiTest.VIA_110.notation(), PathApiTest.VIA_210.notation());
  }

  private String activePath() {
    String v = browser.findElement(By.id("paths-panel")).getAttribute("data-active-path");
    return v == null ? "" : v;
  }

  private Object script(String js, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(js, args);
  }

  private String daemon(String ia) {
    InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
