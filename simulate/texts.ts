// What people write. Short corpora per language; enough variety for realistic text columns.
import type { Lang } from './people.ts';

type Corpus = Record<Lang, readonly string[]>;

export const OPENERS: Corpus = {
  pt: ['Oi, boa tarde!', 'Olá, meu pedido ainda não chegou', 'Bom dia, vocês têm esse tênis no 42?', 'Quero trocar um produto', 'Qual o prazo de entrega pra São Paulo?', 'Oi! Vi o anúncio, ainda tem promoção?', 'O código de rastreio não funciona 😕', 'Vocês aceitam Pix?', 'Preciso da nota fiscal do pedido', 'Olá, como faço pra cancelar a compra?'],
  es: ['Hola, buenas tardes', '¿Tienen envío a Guadalajara?', 'Mi pedido llegó dañado 😞', 'Quiero cambiar la talla', '¿Cuánto tarda el envío?', 'Hola! vi el anuncio, ¿sigue la promo?', '¿Aceptan pago en OXXO?'],
  en: ['Hi, where is my order?', 'Hello, I need help with a refund', 'Do you deliver to Manchester?', 'Hey, saw your ad, is the offer still on?', 'My parcel says delivered but it is not here', 'Can I change the delivery address?', 'Hi there 👋 quick question about sizes'],
  hi: ['नमस्ते, मेरा ऑर्डर कब आएगा?', 'मुझे रिफंड चाहिए', 'क्या कैश ऑन डिलीवरी है?', 'हेलो, ऑफर अभी भी है?'],
  id: ['Halo kak, pesanan saya belum sampai', 'Apakah bisa kirim ke Surabaya?', 'Kak, ada promo apa hari ini?', 'Mau tukar ukuran bisa?'],
  de: ['Hallo, wo bleibt meine Bestellung?', 'Kann ich die Lieferadresse ändern?', 'Guten Tag, gibt es das auch in Größe M?', 'Ich möchte den Artikel zurückschicken'],
};

export const FOLLOW_UPS: Corpus = {
  pt: ['Pedido 48213', 'Mas já faz 10 dias...', 'Pode ser amanhã?', 'Entendi', 'E o frete?', 'Tá bom, obrigado', 'Meu CPF é o mesmo do cadastro', 'Ainda não recebi o e-mail', 'Perfeito!'],
  es: ['Pedido 77120', 'Ya pasaron 8 días', '¿Y el costo de envío?', 'Ok, entiendo', 'Perfecto', 'Gracias por la ayuda'],
  en: ['Order #55102', 'It has been a week already', 'OK thanks', 'What about shipping?', 'Could you check again please?', 'Great, cheers'],
  hi: ['ऑर्डर नंबर 31207', 'ठीक है', 'कितने दिन लगेंगे?', 'धन्यवाद'],
  id: ['Nomor pesanan 90211', 'Oke kak', 'Ongkirnya berapa?', 'Baik, terima kasih'],
  de: ['Bestellnummer 66012', 'Okay, danke', 'Und die Versandkosten?', 'Super, vielen Dank'],
};

export const THANKS: Corpus = {
  pt: ['Obrigado!', 'Valeu 🙏', 'Muito obrigada!!'],
  es: ['¡Gracias!', 'Muchas gracias 🙏'],
  en: ['Thanks!', 'Thank you so much 🙏', 'cheers'],
  hi: ['धन्यवाद 🙏', 'Thanks'],
  id: ['Makasih kak 🙏', 'Terima kasih'],
  de: ['Danke!', 'Vielen Dank 🙏'],
};

/** Opt-out keywords: a whole message equal to one of these (trimmed, case-insensitive) opts out. */
export const STOP_KEYWORDS = ['STOP', 'PARAR', 'SAIR', 'CANCELAR', 'BAJA', 'ABMELDEN', 'रुकें'] as const;

export const STOP_BY_LANG: Record<Lang, readonly string[]> = {
  pt: ['PARAR', 'Sair', 'cancelar', 'STOP', ' Parar '],
  es: ['BAJA', 'baja', 'Stop'],
  en: ['STOP', 'stop', 'Stop '],
  hi: ['रुकें', 'STOP'],
  id: ['STOP', 'stop'],
  de: ['ABMELDEN', 'abmelden', 'Stop'],
};

export function isStopKeyword(text: string): boolean {
  const t = text.trim().toUpperCase();
  return (STOP_KEYWORDS as readonly string[]).includes(t);
}

export const AGENT_REPLIES: Corpus = {
  pt: ['Oi! Vou verificar seu pedido, só um instante.', 'Seu pedido saiu para entrega hoje 🚚', 'Consegue me passar o número do pedido?', 'A troca pode ser feita em até 30 dias.', 'Prontinho, já abri a solicitação de reembolso.', 'Aceitamos Pix, cartão e boleto.', 'Disponha! Qualquer coisa é só chamar.'],
  es: ['¡Hola! Reviso tu pedido, un momento.', 'Tu pedido sale hoy 🚚', '¿Me compartes el número de pedido?', 'Listo, ya solicité el reembolso.', '¡Con gusto!'],
  en: ["Hi! Let me check that for you.", 'Your parcel is out for delivery today 🚚', 'Could you share your order number?', "Done, I've raised the refund.", 'You are welcome!'],
  hi: ['नमस्ते! मैं आपका ऑर्डर देख रहा हूँ।', 'आपका ऑर्डर आज डिलीवर होगा 🚚', 'कृपया ऑर्डर नंबर भेजें।', 'आपका स्वागत है!'],
  id: ['Halo kak! Saya cek dulu ya.', 'Pesanan kakak dikirim hari ini 🚚', 'Boleh minta nomor pesanannya?', 'Sama-sama kak!'],
  de: ['Hallo! Ich schaue kurz nach.', 'Ihr Paket wird heute zugestellt 🚚', 'Können Sie mir die Bestellnummer nennen?', 'Gern geschehen!'],
};

export const BOT_WELCOME: Corpus = {
  pt: ['Olá! Sou a Aurora 🤖. Escolha uma opção no menu:'],
  es: ['¡Hola! Soy el asistente virtual 🤖. Elige una opción:'],
  en: ["Hi! I'm the virtual assistant 🤖. Pick an option:"],
  hi: ['नमस्ते! मैं वर्चुअल असिस्टेंट हूँ 🤖। एक विकल्प चुनें:'],
  id: ['Halo! Saya asisten virtual 🤖. Pilih menu:'],
  de: ['Hallo! Ich bin der virtuelle Assistent 🤖. Bitte wählen Sie:'],
};

export const BOT_ANSWERS: Corpus = {
  pt: ['Seu pedido está em transporte. Previsão: 2 dias úteis.', 'Você pode trocar pelo site em Minha Conta > Trocas.'],
  es: ['Tu pedido está en camino. Llega en 2 días hábiles.'],
  en: ['Your order is in transit and should arrive in 2 working days.'],
  hi: ['आपका ऑर्डर रास्ते में है, 2 दिन में पहुँचेगा।'],
  id: ['Pesanan dalam perjalanan, estimasi 2 hari kerja.'],
  de: ['Ihre Bestellung ist unterwegs, Zustellung in 2 Werktagen.'],
};

export const HANDOFF: Corpus = {
  pt: ['Vou transferir você para um atendente humano 👩‍💼'],
  es: ['Te paso con un asesor 👩‍💼'],
  en: ['Passing you to one of our team 👩‍💼'],
  hi: ['मैं आपको हमारी टीम से जोड़ रहा हूँ 👩‍💼'],
  id: ['Kami sambungkan ke agen kami 👩‍💼'],
  de: ['Ich verbinde Sie mit unserem Team 👩‍💼'],
};

export const CLOSED: Corpus = {
  pt: ['Estamos fora do horário de atendimento (seg–sex 9h–18h, sáb 9h–13h). Responderemos assim que abrirmos!'],
  es: ['Estamos fuera de horario. Te respondemos en cuanto abramos.'],
  en: ["We're closed right now. We'll get back to you as soon as we open."],
  hi: ['अभी हमारा कार्यालय बंद है। खुलते ही जवाब देंगे।'],
  id: ['Kami sedang tutup. Akan kami balas saat buka.'],
  de: ['Wir haben gerade geschlossen und melden uns, sobald wir öffnen.'],
};

export const OPTOUT_ACK: Corpus = {
  pt: ['Pronto, você não receberá mais promoções.'],
  es: ['Listo, ya no recibirás promociones.'],
  en: ["Done, you won't receive promotions any more."],
  hi: ['ठीक है, अब आपको प्रचार संदेश नहीं मिलेंगे।'],
  id: ['Baik, kakak tidak akan menerima promo lagi.'],
  de: ['Erledigt, Sie erhalten keine Werbung mehr.'],
};

export const MENU = {
  list: [
    ['menu_pedido', 'Meu pedido', 'Status e rastreio'],
    ['menu_troca', 'Trocas e devoluções', 'Prazo de 30 dias'],
    ['menu_pagto', 'Pagamentos', 'Pix, cartão, boleto'],
    ['menu_humano', 'Falar com atendente', 'Horário comercial'],
  ],
  buttons: [
    ['btn_track', 'Track order'],
    ['btn_refund', 'Refunds'],
    ['btn_agent', 'Talk to us'],
  ],
} as const;

export const CAPTIONS = ['', '', 'olha isso', 'Comprovante', 'foto do produto', 'the damaged box', 'Nota fiscal'];
export const FILENAMES = ['comprovante.pdf', 'nota_fiscal_48213.pdf', 'invoice-55102.pdf', 'Rechnung_66012.pdf', 'receipt.pdf'];
export const REACTIONS = ['👍', '❤️', '😂', '🙏', '😮', '😢'];
