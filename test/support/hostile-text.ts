/** A dataset name and key values that a page must show as text, never turn into markup. */
export const HOSTILE_NAME = `<script>alert("name")</script> ☃ “quotes” & 'apostrophes' </h1><img src=x onerror=alert(1)>`;
export const HOSTILE_KEYS = ['<script>alert(1)</script>', '"><svg onload=alert(2)>', 'ключ & <b>bold</b>', "it's ]]> <!-- -->"];
