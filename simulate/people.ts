// Customers: where they live (their number's market), what they are called, which language they write.
import type { Rng } from './prng.ts';

export type Lang = 'pt' | 'es' | 'en' | 'hi' | 'id' | 'de';

export type CountryCode = 'BR' | 'IN' | 'ID' | 'MX' | 'GB' | 'DE' | 'US' | 'NG' | 'DO';

interface CountrySpec {
  /** wa_id digits for a fresh subscriber number. */
  number(r: Rng): string;
  langs: readonly (readonly [Lang, number])[];
  first: readonly string[];
  last: readonly string[];
}

const COUNTRIES: Record<CountryCode, CountrySpec> = {
  BR: {
    number: (r) => '55' + r.pick(['11', '21', '31', '41', '51', '61', '71', '81', '85', '19']) + '9' + r.range(6, 9) + r.digits(7),
    langs: [['pt', 1]],
    first: ['João', 'Maria', 'Ana', 'José', 'Luíza', 'Gabriel', 'Beatriz', 'Lucas', 'Júlia', 'Thiago', 'Conceição', 'Antônio', 'Letícia', 'Caio', 'Fernanda', 'Raí', 'Iara', 'Otávio'],
    last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Conceição', 'Araújo', 'Gonçalves', 'Ribeiro', 'Simões', 'Brandão', 'Magalhães', 'Nóbrega'],
  },
  IN: {
    number: (r) => '91' + r.range(6, 9) + r.digits(9),
    langs: [['en', 0.6], ['hi', 0.4]],
    first: ['Priya', 'Rahul', 'Ananya', 'Arjun', 'Sneha', 'Vikram', 'अनन्या', 'राहुल', 'Deepika', 'Karthik', 'Lakshmi', 'Imran'],
    last: ['Sharma', 'Patel', 'Iyer', 'Reddy', 'Singh', 'Gupta', 'शर्मा', 'Nair', 'Khan', 'Menon'],
  },
  ID: {
    number: (r) => '62' + r.pick(['811', '812', '813', '821', '852', '857', '878']) + r.digits(r.range(7, 8)),
    langs: [['id', 1]],
    first: ['Putri', 'Budi', 'Siti', 'Agus', 'Dewi', 'Rizky', 'Ayu', 'Wahyu', 'Nur'],
    last: ['Santoso', 'Wijaya', 'Saputra', 'Lestari', 'Hidayat', 'Kusuma', 'Pratama'],
  },
  MX: {
    // WhatsApp IDs of Mexican mobiles keep the legacy "1" after 52 (wa_id ≠ dialled number).
    number: (r) => {
      const area = r.pick(['55', '33', '81', '222', '664']);
      return '521' + area + r.digits(10 - area.length);
    },
    langs: [['es', 1]],
    first: ['José', 'Guadalupe', 'María José', 'Sofía', 'Diego', 'Ximena', 'Iñaki', 'Renata', 'Andrés'],
    last: ['Hernández', 'García', 'Martínez', 'López', 'Pérez', 'Núñez', 'Ramírez', 'Peña'],
  },
  GB: {
    number: (r) => '447' + r.pick(['4', '5', '7', '8', '9']) + r.digits(8),
    langs: [['en', 1]],
    first: ['Oliver', 'Amelia', 'Zoë', 'Harry', 'Isla', 'Noah', 'Siobhán', 'Chloë', 'George', 'Aoife'],
    last: ['Smith', 'Jones', 'Taylor', "O'Brien", 'Williams', 'Brown', 'Evans', 'Ní Bhriain', 'Patel'],
  },
  DE: {
    number: (r) => '49' + r.pick(['151', '152', '160', '170', '171', '176']) + r.digits(r.range(7, 8)),
    langs: [['de', 1]],
    first: ['Jürgen', 'Lena', 'Björn', 'Mia', 'Jörg', 'Anna-Lena', 'Lukas', 'Käthe'],
    last: ['Müller', 'Schmidt', 'Schäfer', 'Weiß', 'Groß', 'Köhler', 'Fischer'],
  },
  US: {
    number: (r) => '1' + r.pick(['415', '212', '646', '305', '512', '206']) + r.range(2, 9) + r.digits(6),
    langs: [['en', 0.85], ['es', 0.15]],
    first: ['Emily', 'Michael', 'Madison', 'Chris', 'Ashley', 'José', 'Taylor', 'Jordan'],
    last: ['Johnson', 'Miller', 'Davis', 'Rodríguez', 'Wilson', 'Anderson'],
  },
  NG: {
    number: (r) => '234' + r.pick(['803', '806', '810', '813', '703', '706', '905']) + r.digits(7),
    langs: [['en', 1]],
    first: ['Chinedu', 'Ngozi', 'Oluwaseun', 'Aisha', 'Emeka', 'Funmilayo', 'Ibrahim', 'Adaeze'],
    last: ['Okafor', 'Adeyemi', 'Bello', 'Okonkwo', 'Eze', 'Abubakar', 'Ogunleye'],
  },
  DO: {
    number: (r) => '1' + r.pick(['809', '829', '849']) + r.range(2, 9) + r.digits(6),
    langs: [['es', 1]],
    first: ['Yokasta', 'Wander', 'Yeimy', 'Radhamés', 'Altagracia', 'Joel'],
    last: ['Peña', 'Rosario', 'Almonte', 'De los Santos', 'Féliz'],
  },
};

const EMOJI = ['🌸', '✨', '💙', '🙏', '⚽', '🌻', '🎧', '👑', '🇧🇷', '🔥'];

/** WhatsApp profile names: sometimes full, sometimes a nickname, sometimes decorated. */
export function profileName(r: Rng, country: CountryCode): string {
  const c = COUNTRIES[country];
  const first = r.pick(c.first);
  const style = r.next();
  if (style < 0.45) return `${first} ${r.pick(c.last)}`;
  if (style < 0.7) return first;
  if (style < 0.82) return `${first} ${r.pick(EMOJI)}`;
  if (style < 0.9) return `${first} ${r.pick(c.last)[0]}.`;
  if (style < 0.95) return first.toLowerCase();
  return `${r.pick(EMOJI)} ${first} ${r.pick(c.last)} ${r.pick(EMOJI)}`;
}

export function phoneNumber(r: Rng, country: CountryCode): string {
  return COUNTRIES[country].number(r);
}

export function languageOf(r: Rng, country: CountryCode): Lang {
  return r.weighted(COUNTRIES[country].langs);
}

export interface Customer {
  index: number;
  country: CountryCode;
  waId: string;
  name: string;
  lang: Lang;
  /** Read receipts switched off: never a `read` status. */
  receiptsOff: boolean;
  /** Often offline: delivery waits until the phone comes back. */
  oftenOffline: boolean;
  /** Marketing stopped inside WhatsApp before our data starts: Meta refuses marketing (131050). */
  stoppedAtMeta: boolean;
  /** Home phone number index within the WABA (which business number they usually write to). */
  home: number;
  /** Times the customer writes: an hour-of-day shift giving night owls and early birds. */
  hourShift: number;
}

/** A customer's fixed traits come from their own stream, so adding customers never shifts others. */
export function makeCustomer(
  r: Rng, index: number, mix: readonly (readonly [CountryCode, number])[], homes: number, taken: (waId: string) => boolean,
): Customer {
  const country = r.weighted(mix);
  let waId = phoneNumber(r, country);
  while (taken(waId)) waId = phoneNumber(r, country);
  return {
    index,
    country,
    waId,
    name: profileName(r, country),
    lang: languageOf(r, country),
    receiptsOff: r.chance(0.12),
    oftenOffline: r.chance(0.1),
    stoppedAtMeta: r.chance(0.02),
    home: r.weighted([...Array(homes).keys()].map((i) => [i, i === 0 ? 3 : 1] as const)),
    hourShift: r.chance(0.2) ? r.range(-3, 3) : 0,
  };
}
