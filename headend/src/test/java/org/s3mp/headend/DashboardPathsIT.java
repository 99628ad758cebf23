package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
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
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.testbed.Testbed;
import org.s3mp.testbed.TopologySpec.Interface;

/**
 * The dashboard's paths panel on the real SCION testbed: a meter process in the concentrator AS read natively over
 * SCION by the head-end, the topology drawn in headless Chromium with the path of the latest reading highlighted;
 * cutting that path's uplink moves the highlight to the other uplink and lists the failover in the history.
 */
class DashboardPathsIT {

  static final String VIEWER = "viewer-token-of-the-paths-browser-test-1";

  @TempDir Path dir;
  Testbed tb;
  RealMeters.Meter meter;
  Headend headend;
  WebDriver browser;
  ChromeDriverService driverService;
  Interface cut;

  @BeforeEach
  void start() throws Exception {
    tb = Testbed.shared();
    Path keys = RealMeters.keys(dir, "s1");
    String ip = tb.hostAddress(tb.concentrator()).getHostAddress();
    meter = RealMeters.start(dir, "s1", keys, 900, 5, List.of("--listen",
        "scion://" + tb.concentrator() + ",[" + ip + "]:0", "--daemon", daemon(tb.concentrator())));
    Path policy = dir.resolve("isd1-only.json");
    Files.writeString(policy, "{\"name\": \"isd1-only\", \"acl\": [\"- 2\", \"+\"], \"allowed_isds\": [1],"
        + " \"order\": \"hops\"}");
    String scionUrl = meter.urls().stream().filter(u -> u.startsWith("scion://")).findFirst().orElseThrow();
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 3000, 3600, 1),
        List.of(new HeadendConfig.Token("vera", "viewer", TokenStore.sha256(VIEWER))),
        List.of(new MeterInput("s1", scionUrl, keys.toString(), policy.toString(), false, 1, false)))
        .withKeysDirectory(dir.toString()).withDefaults();
    headend = Headend.start(config, new DlmsMeterConnector(Duration.ofSeconds(5), daemon(tb.headEnd())));

    driverService = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver"))
        .usingAnyFreePort()
        .withLogFile(dir.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1280,1600", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    browser = new ChromeDriver(driverService, options);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (cut != null && tb.isLinkDown(cut)) {
        tb.linkUp(cut);
      }
    } finally {
      try {
        if (browser != null) {
          browser.quit();
        }
      } finally {
        if (driverService != null) {
          driverService.stop();
        }
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
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
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
    wait.until(d -> d.findElement(By.cssSelector("#path-shares tbody")).getText().contains(after));
    assertThat(browser.findElement(By.id("geofence")).getText()).contains("Readings outside: 0 \u2713");
    Files.createDirectories(Path.of("target"));
    Files.write(Path.of("target", "dashboard-paths.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  private String activePath() {
    String v = browser.findElement(By.id("paths-panel")).getAttribute("data-active-path");
    return v == null ? "" : v;
  }

  private Object script(String js) {
    return ((JavascriptExecutor) browser).executeScript(js);
  }

  private String daemon(String ia) {
    InetSocketAddress a = tb.daemonAddress(ia);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }
}
