package org.s3mp.dlms.server;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;

/** A backend with fixed values for fast protocol tests (the real one is the meter agent's). */
class InMemoryBackend implements MeterBackend {
  final Map<ObisCode, BigDecimal> values = new ConcurrentHashMap<>();
  final List<ProfileRow> profile = new ArrayList<>();
  final List<EventRow> events = new ArrayList<>();
  final List<String> authFailures = new ArrayList<>();
  volatile boolean connected = true;
  volatile String message = "";
  volatile ObisCode failing;

  InMemoryBackend() {
    values.put(MeterObjects.VOLTAGE_L1, new BigDecimal("231.4"));
    values.put(MeterObjects.CURRENT_L1, new BigDecimal("1.234"));
    values.put(MeterObjects.ACTIVE_POWER_IMPORT, new BigDecimal("285.6"));
    values.put(MeterObjects.ACTIVE_POWER_EXPORT, BigDecimal.ZERO);
    values.put(MeterObjects.REACTIVE_POWER, new BigDecimal("-12.5"));
    values.put(MeterObjects.APPARENT_POWER, new BigDecimal("290.1"));
    values.put(MeterObjects.ACTIVE_ENERGY_IMPORT, new BigDecimal("123456"));
    values.put(MeterObjects.ACTIVE_ENERGY_EXPORT, new BigDecimal("7"));
    values.put(MeterObjects.FREQUENCY, new BigDecimal("49.98"));
    values.put(MeterObjects.POWER_FACTOR, new BigDecimal("0.985"));
  }

  @Override
  public String serialNumber() {
    return "S3MP-TEST-1";
  }

  @Override
  public String firmwareId() {
    return "test-fw";
  }

  @Override
  public BigDecimal registerValue(ObisCode register) throws TemporaryFailureException {
    if (register.equals(failing)) {
      throw new TemporaryFailureException("source down", null);
    }
    return connected || !register.equals(MeterObjects.ACTIVE_POWER_IMPORT) ? values.get(register) : BigDecimal.ZERO;
  }

  @Override
  public Instant now() {
    return Instant.now();
  }

  @Override
  public void setClock(Instant time) {}

  @Override
  public RelayStatus relay() {
    return new RelayStatus(connected, connected ? 1 : 0);
  }

  @Override
  public void disconnect() {
    connected = false;
  }

  @Override
  public void reconnect() {
    connected = true;
  }

  @Override
  public String message() {
    return message;
  }

  @Override
  public void setMessage(String text) {
    message = text;
  }

  @Override
  public int capturePeriodSeconds() {
    return 900;
  }

  @Override
  public synchronized List<ProfileRow> loadProfile(Instant from, Instant to) {
    return profile.stream().filter(r -> !r.time().isBefore(from) && !r.time().isAfter(to)).toList();
  }

  @Override
  public synchronized List<ProfileRow> loadProfile(int first, int count) {
    int end = count == 0 ? profile.size() : Math.min(profile.size(), first - 1 + count);
    return first - 1 >= end ? List.of() : List.copyOf(profile.subList(first - 1, end));
  }

  @Override
  public synchronized int loadProfileEntries() {
    return profile.size();
  }

  @Override
  public int loadProfileCapacity() {
    return 5760;
  }

  @Override
  public synchronized List<EventRow> events(Instant from, Instant to) {
    return events.stream().filter(r -> !r.time().isBefore(from) && !r.time().isAfter(to)).toList();
  }

  @Override
  public synchronized List<EventRow> events(int first, int count) {
    int end = count == 0 ? events.size() : Math.min(events.size(), first - 1 + count);
    return first - 1 >= end ? List.of() : List.copyOf(events.subList(first - 1, end));
  }

  @Override
  public synchronized int eventEntries() {
    return events.size();
  }

  @Override
  public int eventCapacity() {
    return 1000;
  }

  @Override
  public synchronized void authenticationFailed(String peer, String reason) {
    authFailures.add(reason);
  }
}
