// `npm run bench -- g3`: .g3 decode throughput and the full archive path on the
// "hour" and "day" shapes, beside the reference libraries' recorded figures.
export { run } from './decode.js';

export const description = '.g3 decoding: every object to typed arrays, and scan + all fields, vs the C++ reader and so3g figures';
