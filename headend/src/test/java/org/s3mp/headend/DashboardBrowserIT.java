package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.polling.DlmsMeterConnector;

/**
 * The dashboard in Debian's Chromium (headless): log in with a token, watch the live chart gain points, press
 * disconnect and see the relay state and 0 W come back from a real meter process.
 */
class DashboardBrowserIT {

  static final String OPERATOR = "operator-token-of-the-browser-test-0001";
  static final String VIEWER = "viewer-token-of-the-browser-test-000001";

  @TempDir Path dir;
  java.security.KeyPair vendor = org.s3mp.dlms.firmware.FirmwareImage.generateKeyPair();
  RealMeters.Meter meter;
  Headend headend;
  WebDriver browser;
  HeadlessChromium chromium;

  @BeforeEach
  void start() throws Exception {
    Path keys = RealMeters.keys(dir, "m1");
    // the head-end and the meter trust the same firmware vendor key
    java.nio.file.Path vendorKey = dir.resolve("firmware-vendors/vendor.pub");
    java.nio.file.Files.createDirectories(vendorKey.getParent());
    java.nio.file.Files.writeString(vendorKey, org.s3mp.dlms.firmware.FirmwareImage.pem(vendor.getPublic()));
    meter = RealMeters.start(dir, "m1", keys, 900, 3, 0, List.of("--firmware-key", vendorKey.toString()));
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        null,
        List.of(new HeadendConfig.Token("olga", "operator", TokenStore.sha256(OPERATOR)),
            new HeadendConfig.Token("vera", "viewer", TokenStore.sha256(VIEWER))),
        List.of(new MeterInput("m1", meter.url(), keys.toString(), null, false, 0, false)))
        .withKeysDirectory(dir.toString()).withDefaults();
    headend = Headend.start(config, new DlmsMeterConnector());

    chromium = HeadlessChromium.start(dir, 1200);
    browser = chromium.browser();
  }

  @AfterEach
  void stop() {
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

  @Test
  void operatorWatchesLivePowerAndDisconnects() throws Exception {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(OPERATOR);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("who")).getText().contains("olga (operator)"));
    wait.until(d -> !d.findElements(By.cssSelector("#meters tr[data-id='m1']")).isEmpty());
    wait.until(d -> d.findElement(By.id("meter-id")).getText().equals("m1"));

    int before = points();
    browser.findElement(By.id("continuous")).click();
    wait.until(d -> d.findElement(By.id("continuous")).getText().startsWith("Stop"));
    wait.until(d -> points() >= before + 3);
    assertThat(legend("live-chart")).as("the live chart's unit, from GET /api/obis").contains("W");
    assertThat(browser.findElement(By.id("relay")).getText()).isEqualTo("connected");
    assertThat(watts()).isPositive();

    browser.findElement(By.id("disconnect")).click();
    wait.until(d -> d.findElement(By.id("relay")).getText().equals("disconnected"));
    wait.until(d -> watts() == 0);
    // the chart keeps growing with 0 W points from the meter
    int afterDisconnect = points();
    wait.until(d -> points() >= afterDisconnect + 2);
    wait.until(d -> d.findElement(By.cssSelector("#audit tbody")).getText().contains("disconnect"));
    chromium.screenshot("dashboard-disconnected");

    // the meter process itself reports the open relay
    Http http = new Http(headend.baseUri());
    Http.Response read = http.post("/api/meters/m1/read", OPERATOR, null);
    assertThat(read.json().get("relay").asText()).isEqualTo("disconnected");

    browser.findElement(By.id("reconnect")).click();
    wait.until(d -> d.findElement(By.id("relay")).getText().equals("connected"));
    browser.findElement(By.id("continuous")).click();
    wait.until(d -> d.findElement(By.id("continuous")).getText().startsWith("Start"));
  }

  @Test
  void viewersSeeNoOperatorControls() {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(VIEWER);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("who")).getText().contains("(viewer)"));
    wait.until(d -> d.findElement(By.id("meter-id")).getText().equals("m1"));
    assertThat(browser.findElement(By.id("disconnect")).isDisplayed()).isFalse();
    browser.findElement(By.id("read-once")).click();
    // names and units from GET /api/obis
    wait.until(d -> register("1.0.32.7.0.255").getText().matches("2[0-9]{2}\\.[0-9] V"));
    assertThat(browser.findElement(By.cssSelector("#registers th[title='1.0.32.7.0.255']")).getText())
        .isEqualTo("Voltage L1");
    // the read opened the association, which checked the clock: the meter page shows the drift
    wait.until(d -> d.findElement(By.id("v-drift")).getText().matches("[+-][0-9]+\\.[0-9] s at .*"));
    // the load profile of a chosen range, from the profile API (the meter captures every 900 s: none yet)
    browser.findElement(By.id("profile-show")).click();
    wait.until(d -> d.findElement(By.id("profile-status")).getText().matches("[0-9]+ intervals"));
    assertThat(legend("profile-chart")).as("the profile chart's unit, from GET /api/obis").contains("Wh per interval");
    assertThat(browser.findElement(By.cssSelector("#events tbody")).getText()).isEqualTo("none");
  }

  @Test
  void aFleetOfAHundredMetersIsCountedSearchedAndPagedOnTheServer() throws Exception {
    // 99 more meters whose port refuses connections (failing) beside the real one
    Http http = new Http(headend.baseUri());
    Path keys = RealMeters.keys(dir, "fleet");
    for (int i = 0; i < 99; i++) {
      Http.Response created = http.post("/api/meters", OPERATOR, String.format(
          "{\"id\": \"m-%03d\", \"url\": \"tcp://127.0.0.1:1\", \"keysFile\": \"%s\", \"pollSeconds\": 1}", i,
          keys.toString().replace("\\", "\\\\")));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
    }
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(VIEWER);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("fleet-total")).getText().equals("(100)"));
    assertThat(browser.findElement(By.id("fleet-page")).getText()).startsWith("page 1 of 4");
    assertThat(rowIds()).hasSize(25).startsWith("m-000", "m-001").isSorted();
    // the failing meters show up in the state counts without reloading the page
    wait.until(d -> chip("failing") >= 50);
    assertThat(chip("")).isEqualTo(100);
    chromium.screenshot("dashboard-fleet");

    browser.findElement(By.id("fleet-next")).click();
    wait.until(d -> d.findElement(By.id("fleet-page")).getText().startsWith("page 2 of 4"));
    assertThat(rowIds()).hasSize(25).startsWith("m-025");

    browser.findElement(By.id("fleet-search")).sendKeys("m-07");
    wait.until(d -> rowIds().size() == 10);
    assertThat(rowIds()).allMatch(id -> id.startsWith("m-07"));
    assertThat(browser.findElement(By.id("fleet-page")).getText()).startsWith("page 1 of 1, 10 meters");

    // filter by state: only the real meter is read
    browser.findElement(By.id("fleet-search")).clear();
    browser.findElement(By.id("fleet-search")).sendKeys("m1");
    wait.until(d -> rowIds().equals(List.of("m1")));
    // m1 is not polled: a read opens its association, which checks its clock; the drift column shows it (one
    // script run: the table is redrawn every few seconds)
    assertThat(http.post("/api/meters/m1/read", OPERATOR, null).status()).isEqualTo(200);
    wait.until(d -> String.valueOf(((JavascriptExecutor) d).executeScript("const td = document.querySelector("
        + "'#meters tbody tr td:nth-child(7)'); return td ? td.textContent : null")).matches("[+-][0-9]+\\.[0-9] s"));
  }

  @Test
  void alarmsAreListedViewersCannotAcknowledgeAndAnOperatorDoesAudited() throws Exception {
    // a meter whose port refuses connections, polled every second: its associations fail in a row
    Http http = new Http(headend.baseUri());
    Http.Response created = http.post("/api/meters", OPERATOR, String.format("{\"id\": \"m-dead\", \"url\":"
        + " \"tcp://127.0.0.1:1\", \"keysFile\": \"%s\", \"pollSeconds\": 1}",
        RealMeters.keys(dir, "dead").toString().replace("\\", "\\\\")));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));

    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(VIEWER);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("who")).getText().contains("(viewer)"));
    wait.until(d -> !alarmRows("association_failures").isEmpty() && !alarmRows("not_read").isEmpty());
    assertThat(browser.findElement(By.cssSelector("#alarms tr[data-kind='association_failures']")).getText())
        .contains("m-dead").contains("association set-ups failed in a row").contains("open");
    assertThat(browser.findElements(By.cssSelector("#alarms button.ack"))).as("a viewer gets no Ack button").isEmpty();
    browser.findElement(By.id("logout")).click();

    browser.findElement(By.id("token")).clear();
    browser.findElement(By.id("token")).sendKeys(OPERATOR);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("who")).getText().contains("olga (operator)"));
    wait.until(d -> !d.findElements(By.cssSelector("#alarms tr[data-kind='association_failures'] button.ack")).isEmpty());
    chromium.screenshot("dashboard-alarms");
    String id = alarmRows("association_failures").get(0);
    browser.findElement(By.cssSelector("#alarms tr[data-id='" + id + "'] button.ack")).click();
    // gone from the open alarms, listed as acknowledged by olga, and audited
    wait.until(d -> !alarmRows("association_failures").contains(id));
    wait.until(d -> d.findElement(By.cssSelector("#audit tbody")).getText().contains("alarm-ack"));
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("alarms-state"))).selectByValue("acknowledged");
    wait.until(d -> alarmRows("association_failures").contains(id));
    // the list is redrawn while we look: a row found a moment ago may be gone (stale), so look again until it says so
    wait.until(d -> {
      try {
        return d.findElement(By.cssSelector("#alarms tr[data-id='" + id + "']")).getText()
            .contains("acknowledged by olga");
      } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException redrawn) {
        return false;
      }
    });
    assertThat(browser.findElements(By.cssSelector("#alarms tr[data-id='" + id + "'] button.ack"))).isEmpty();
    // the head-end's own record of it
    assertThat(http.get("/api/alarms?state=acknowledged", VIEWER).json())
        .anySatisfy(a -> assertThat(a.get("id").asText()).isEqualTo(id));
    assertThat(http.get("/metrics", VIEWER).body()).contains("headend_alarms_open{kind=\"not_read\"");
  }

  @Test
  void anOperatorPausesAndResumesAFirmwareRolloutAndSeesTheMetersProgress() throws Exception {
    Http http = new Http(headend.baseUri());
    byte[] image = org.s3mp.dlms.firmware.FirmwareImage.sign("s3mp-meter 3.0", new byte[100_000], true,
        vendor.getPrivate()).encode();
    Http.Response uploaded = http.post("/api/firmware/images", OPERATOR,
        "{\"image\": \"" + java.util.Base64.getEncoder().encodeToString(image) + "\"}");
    assertThat(uploaded.status()).as(uploaded.body()).isEqualTo(201);
    // activation 40 s ahead: the rollout runs (its meter scheduled) long enough to be paused from the page
    java.time.Instant at = java.time.Instant.now().plusSeconds(40).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Http.Response created = http.post("/api/firmware/rollouts", OPERATOR, "{\"imageId\": \""
        + uploaded.json().get("id").asText() + "\", \"meters\": [\"m1\"], \"activateAt\": \"" + at + "\"}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    long id = created.json().get("id").asLong();

    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys(OPERATOR);
    browser.findElement(By.id("login")).click();
    wait.until(d -> d.findElement(By.id("who")).getText().contains("olga (operator)"));
    wait.until(d -> rollout(id).get("buttons").toString().contains("rollout-pause"));
    wait.until(d -> clickRollout(id, "rollout-pause"));
    wait.until(d -> "paused".equals(rollout(id).get("state"))
        && rollout(id).get("buttons").toString().contains("rollout-resume"));
    assertThat(rollout(id).get("buttons").toString()).doesNotContain("rollout-pause");
    wait.until(d -> d.findElement(By.cssSelector("#audit tbody")).getText().contains("firmware-rollout-pause"));
    chromium.screenshot("dashboard-rollout-paused");
    wait.until(d -> clickRollout(id, "rollout-resume"));
    // the meter activates the image at the scheduled time; the page shows it active with the new firmware id
    new WebDriverWait(browser, Duration.ofSeconds(90)).until(d -> "done".equals(rollout(id).get("state")));
    java.util.Map<String, Object> done = rollout(id);
    assertThat(done.get("m1State")).isEqualTo("active");
    assertThat(done.get("m1Text").toString()).contains("s3mp-meter 3.0").contains("100 %");
    assertThat(done.get("buttons").toString()).as("no buttons once done").isEqualTo("");
  }

  /** A rollout on the page, read in one script run (the section is redrawn every 2 s). */
  @SuppressWarnings("unchecked")
  private java.util.Map<String, Object> rollout(long id) {
    return (java.util.Map<String, Object>) ((JavascriptExecutor) browser).executeScript(
        "const r = document.querySelector('#rollouts .rollout[data-id=\"' + arguments[0] + '\"]');"
        + " if (!r) return {state: null, buttons: '', m1State: null, m1Text: ''};"
        + " const m = r.querySelector('tr[data-meter=\"m1\"]');"
        + " return {state: r.dataset.state, buttons: [...r.querySelectorAll('button')].map(b => b.className).join(' '),"
        + " m1State: m ? m.dataset.state : null, m1Text: m ? m.textContent : ''};", id);
  }

  /** Clicks a rollout's button in one script run; false when it is not (yet) there. */
  private boolean clickRollout(long id, String button) {
    return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript(
        "const b = document.querySelector('#rollouts .rollout[data-id=\"' + arguments[0] + '\"] button.'"
        + " + arguments[1]); if (!b) return false; b.click(); return true;", id, button));
  }

  /** The ids of the listed alarms of a kind, read in one script run (the table is redrawn every few seconds). */
  @SuppressWarnings("unchecked")
  private List<String> alarmRows(String kind) {
    return (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll('#alarms tbody tr')].filter(tr => tr.dataset.kind === arguments[0])"
        + ".map(tr => tr.dataset.id)", kind);
  }

  /** The ids in the table, read in one script run (the table is redrawn every few seconds). */
  @SuppressWarnings("unchecked")
  private List<String> rowIds() {
    return (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll('#meters tbody tr')].map(tr => tr.dataset.id)");
  }

  /** The number on a state filter button ("" for all), or -1 before the first page arrived. */
  private int chip(String state) {
    Object text = ((JavascriptExecutor) browser).executeScript("const b = document.querySelector("
        + "'#fleet-states button[data-state=\"' + arguments[0] + '\"]'); return b ? b.textContent : null", state);
    return text == null ? -1 : Integer.parseInt(text.toString().substring(text.toString().lastIndexOf(' ') + 1));
  }

  @Test
  void aWrongTokenIsRefused() {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    browser.get(headend.baseUri() + "/");
    browser.findElement(By.id("token")).sendKeys("not-a-token");
    browser.findElement(By.id("login")).click();
    wait.until(d -> !d.findElement(By.id("login-error")).getText().isEmpty());
    assertThat(browser.findElement(By.id("app-view")).isDisplayed()).isFalse();
  }

  /** The series labels in a chart's legend. */
  private List<String> legend(String chartId) {
    return browser.findElements(By.cssSelector("#" + chartId + " .u-legend .u-label")).stream()
        .map(org.openqa.selenium.WebElement::getText).toList();
  }

  private int points() {
    return Integer.parseInt(browser.findElement(By.id("live-chart")).getAttribute("data-points"));
  }

  private double watts() {
    String text = register("1.0.1.7.0.255").getText();
    return text.endsWith(" W") ? Double.parseDouble(text.replace(" W", "")) : Double.NaN;
  }

  private org.openqa.selenium.WebElement register(String obis) {
    return browser.findElement(By.cssSelector("#registers td[data-obis='" + obis + "']"));
  }
}
