// Benchmarks of the built-in data node servers.
import { run as apexWeather } from './apex-weather.js';

export const description = 'apex_weather over a year of minutely files: cold and warm cache, ms per request and MB/s parsed';

export async function run(): Promise<void> {
  await apexWeather();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
