import type { LanguageCode } from '../client/create-verification.js';

/**
 * The verification message the emulator puts in its wa.me link. SendTalk's real wording is not
 * published; this one carries what matters for testing: a per-verification code, and the app URL.
 */
export function verificationMessage(language: LanguageCode, code: string, appUrl?: string): string {
  const back = appUrl ? (language === 'id' ? ` Kembali ke aplikasi: ${appUrl}` : ` Back to the app: ${appUrl}`) : '';
  return language === 'id'
    ? `Halo SendTalk, saya ingin memverifikasi nomor WhatsApp saya. Kode verifikasi: ${code}. Jangan ubah pesan ini.${back}`
    : `Hi SendTalk, I want to verify my WhatsApp number. Verification code: ${code}. Please do not change this message.${back}`;
}

export function waMeLink(businessNumber: string, message: string): string {
  return `https://wa.me/${businessNumber}?text=${encodeURIComponent(message)}`;
}
