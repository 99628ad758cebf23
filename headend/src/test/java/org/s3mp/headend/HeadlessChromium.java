package org.s3mp.headend;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Debian's headless Chromium driven by its chromedriver, with its profile and driver log in a test's folder. */
record HeadlessChromium(WebDriver browser, ChromeDriverService driverService) implements AutoCloseable {

  static HeadlessChromium start(Path dir, int windowHeight) throws IOException {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver"))
        .usingAnyFreePort()
        .withLogFile(dir.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1280," + windowHeight,
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    try {
      return new HeadlessChromium(new ChromeDriver(service, options), service);
    } catch (RuntimeException e) {
      service.stop();
      throw e;
    }
  }

  /** Saves what the browser shows as target/screenshots/NAME.png (the README shows some of them). */
  Path screenshot(String name) throws IOException {
    Path file = Files.createDirectories(Path.of("target", "screenshots")).resolve(name + ".png");
    Files.write(file, ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(
        org.openqa.selenium.OutputType.BYTES));
    return file;
  }

  @Override
  public void close() {
    try {
      browser.quit();
    } finally {
      driverService.stop();
    }
  }
}
