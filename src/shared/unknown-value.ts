/** What a stored value outside its list reads as through the API (a row or document written by another version). */
export const UNKNOWN = 'UNKNOWN';
