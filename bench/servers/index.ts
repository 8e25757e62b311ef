// Benchmarks of the built-in data node servers.
import { run as apexWeather } from './apex-weather.js';

export async function run(): Promise<void> {
  await apexWeather();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
