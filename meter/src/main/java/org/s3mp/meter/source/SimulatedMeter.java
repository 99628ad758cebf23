package org.s3mp.meter.source;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.function.Supplier;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;

/**
 * A deterministic household: base load, a day/night shape with an evening peak, a fridge cycling every 15
 * minutes and short appliance spikes (kettle, oven) picked per minute from the seed; 230 V ± a few volts, 50 Hz.
 * Energy is integrated from the power in one-second steps of elapsed time (a clock set is no elapsed time, see
 * {@link #clockSet}). The same seed and times give the same values.
 */
public final class SimulatedMeter implements MeterSource {
  private final long seed;
  private final Supplier<Instant> clock;
  private double energyImportWh;
  private long integratedTo;
  private boolean loadConnected = true;

  /**
   * @param initialEnergyWh the import energy register at start (persisted by the agent across restarts)
   */
  public SimulatedMeter(long seed, Supplier<Instant> clock, BigDecimal initialEnergyWh) {
    this.seed = seed;
    this.clock = clock;
    this.energyImportWh = initialEnergyWh.doubleValue();
    this.integratedTo = clock.get().getEpochSecond();
  }

  @Override
  public String describe() {
    return "simulated household (seed " + seed + ")";
  }

  @Override
  public synchronized void loadConnected(boolean connected) {
    integrate();
    loadConnected = connected;
  }

  @Override
  public synchronized void clockSet(Instant newTime) {
    integrate();
    // energy flows with elapsed time, not with the clock: without this a set forward by an hour added an hour's
    // consumption, and a set back stopped the register until the clock caught up again
    integratedTo = newTime.getEpochSecond();
  }

  /** The import energy register now. */
  public synchronized BigDecimal energyImportWh() {
    integrate();
    return BigDecimal.valueOf(energyImportWh).setScale(3, RoundingMode.HALF_UP);
  }

  @Override
  public synchronized BigDecimal read(ObisCode r) {
    integrate();
    long t = clock.get().getEpochSecond();
    double p = loadConnected ? power(t) : 0;
    double v = voltage(t);
    double pf = p == 0 ? 1.0 : (p > 1500 ? 0.99 : 0.95 + 0.03 * unit(hash(t / 60, 7)));
    double s = p / pf;
    double value;
    if (r.equals(MeterObjects.VOLTAGE_L1)) {
      value = v;
    } else if (r.equals(MeterObjects.CURRENT_L1)) {
      value = s / v;
    } else if (r.equals(MeterObjects.ACTIVE_POWER_IMPORT)) {
      value = p;
    } else if (r.equals(MeterObjects.ACTIVE_POWER_EXPORT) || r.equals(MeterObjects.ACTIVE_ENERGY_EXPORT)) {
      value = 0;
    } else if (r.equals(MeterObjects.REACTIVE_POWER)) {
      value = Math.sqrt(Math.max(0, s * s - p * p));
    } else if (r.equals(MeterObjects.APPARENT_POWER)) {
      value = s;
    } else if (r.equals(MeterObjects.ACTIVE_ENERGY_IMPORT)) {
      value = energyImportWh;
    } else if (r.equals(MeterObjects.FREQUENCY)) {
      value = 50 + 0.04 * Math.sin(2 * Math.PI * t / 600.0 + seed) + 0.01 * (unit(hash(t, 3)) - 0.5);
    } else if (r.equals(MeterObjects.POWER_FACTOR)) {
      value = pf;
    } else {
      throw new IllegalArgumentException("not a register of the meter: " + r);
    }
    return BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_UP);
  }

  private void integrate() {
    long now = clock.get().getEpochSecond();
    if (now <= integratedTo) {
      return;
    }
    long from = integratedTo;
    // beyond a day (agent was off) integrate in one-minute steps to bound the work
    int step = now - from > 86_400 ? 60 : 1;
    double wh = 0;
    if (loadConnected) {
      for (long t = from; t < now; t += step) {
        wh += power(t) * Math.min(step, now - t) / 3600.0;
      }
    }
    energyImportWh += wh;
    integratedTo = now;
  }

  /** Household active power at a second, in W. */
  double power(long t) {
    double hour = Math.floorMod(t, 86_400) / 3600.0;
    double base = 110 + 20 * unit(seed);
    double day = hour > 6.5 && hour < 23 ? 180 * Math.sin(Math.PI * (hour - 6.5) / 16.5) : 0;
    double evening = 450 * Math.exp(-Math.pow(hour - 19.5, 2) / 1.5);
    long minute = t / 60;
    double fridge = Math.floorMod(minute / 15 + seed, 3) == 0 ? 95 : 0;
    double r = unit(hash(minute, 1));
    double spike = r < 0.03 ? 2000 : (r < 0.045 ? 1200 : 0);
    double noise = 8 * (unit(hash(t, 2)) - 0.5);
    return Math.max(0, base + day + evening + fridge + spike + noise);
  }

  private double voltage(long t) {
    return 230 + 2.5 * Math.sin(2 * Math.PI * t / 3600.0 + seed) + 0.6 * (unit(hash(t, 4)) - 0.5);
  }

  private long hash(long x, long salt) {
    long h = x * 0x9E3779B97F4A7C15L + seed * 0xBF58476D1CE4E5B9L + salt * 0x94D049BB133111EBL;
    h ^= h >>> 31;
    h *= 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    return h;
  }

  /** A hash mapped to [0, 1). */
  private static double unit(long h) {
    return (h >>> 11) * 0x1.0p-53;
  }
}
