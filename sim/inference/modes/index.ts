/** Registers every built-in execution mode, cut selection and adaptive rule (import for side effects). */
import './on-device.ts';
import './edge.ts';
import './split.ts';
import './speculative.ts';
import './adaptive.ts';
