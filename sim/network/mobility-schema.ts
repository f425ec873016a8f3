/**
 * Scenario schema of user mobility (topology.users.mobility). Speeds are plain
 * numbers in m/s (units.ts has no speed dimension).
 */
import { z } from 'zod';
import { quantity } from '../common/units.ts';

export const mobilitySchema = z
  .strictObject({
    model: z.enum(['static', 'random-waypoint', 'trace']).default('static').describe('static: users stay put; random-waypoint: straight legs to uniform destinations; trace: positions from a CSV file'),
    speed: z
      .tuple([z.number().gt(0, 'expected a minimum speed > 0: with 0, legs at near-zero speed last ever longer and the mean speed decays over the run (Yoon, Liu, Noble, INFOCOM 2003, "Random waypoint considered harmful")'), z.number().gt(0)])
      .default([0.5, 1.5])
      .describe('random-waypoint: speed range [min, max] in m/s, min > 0, drawn uniformly per leg (default: walking, 0.5-1.5 m/s)'),
    pause: quantity('time', { min: 0 }).prefault('0 s').describe('random-waypoint: pause at each waypoint'),
    update_interval: quantity('time', { gt: 0 })
      .prefault('5 s')
      .describe('how often each user position (and its channel gains and serving cell) is refreshed; a domain may also refresh a user on demand'),
    file: z.string().optional().describe('trace: CSV with header time_s,user,x_m,y_m (time-sorted or not), path relative to the working directory'),
  })
  .refine((m) => m.model !== 'trace' || m.file !== undefined, { message: 'mobility.file is required for model: trace' })
  .refine((m) => m.speed[0] <= m.speed[1], { message: 'mobility.speed: min must be <= max' });

export type MobilitySpec = z.output<typeof mobilitySchema>;
