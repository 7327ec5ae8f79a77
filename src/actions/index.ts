import { DescribePackageState } from './DescribePackageState.js';
import type { Action } from './types.js';

/** Every action this server answers, by name. */
export const ACTIONS: ReadonlyMap<string, Action> = new Map([DescribePackageState].map((a) => [a.name, a]));
