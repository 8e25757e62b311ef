// The APEX weather fields, as the original server described them. Each field
// is on its own timeline, named like the field.
import type { FieldInfo } from '../../protocol/types.js';

export interface ApexField {
  description: string;
  units: string;
}

export const APEX_FIELDS: Record<string, ApexField> = {
  humidity: { description: 'APEX weather station humidity.', units: '%' },
  pressure: { description: 'APEX weather station pressure.', units: 'mBar' },
  radiometer: { description: 'APEX radiometer data.', units: 'mm' },
  dewpoint: { description: 'APEX weather station dewpoint.', units: 'C' },
  temperature: { description: 'APEX weather station temperature.', units: 'C' },
  windspeed: { description: 'APEX weather station windspeed.', units: 'km/h' },
  winddirection: { description: 'APEX weather station wind direction.', units: 'deg' },
};

/** field description for the contract; fields found in the archive but unknown here get no units */
export function apexFieldInfo(field: string): FieldInfo {
  const known = Object.hasOwn(APEX_FIELDS, field) ? APEX_FIELDS[field] : undefined;
  return {
    description: known?.description ?? `APEX ${field}.`,
    timeline: field,
    type: 'number',
    units: known?.units ?? null,
  };
}
