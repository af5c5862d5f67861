/** The module pages' stylesheet, served as a file so the CSP can forbid inline styles and scripts. */
export const MODULE_CSS = `
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:40rem;margin:2rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:2rem 0 .75rem}
header.page{display:flex;align-items:center;gap:.75rem;margin-bottom:1rem}header.page img{width:40px;height:40px}
nav.lang{font-size:.85rem;text-align:right;margin-bottom:.5rem}nav.lang a{margin-left:.5rem}
.field{margin:1rem 0}label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text],input[type=url],input[type=password],input[type=number],select,textarea{width:100%;max-width:100%;padding:.55rem .7rem;border:1px solid #7d8799;border-radius:8px;font:inherit;background:#fff;color:inherit}
textarea{resize:vertical;min-height:5rem}select[multiple]{padding:.25rem}
input[aria-invalid=true],select[aria-invalid=true],textarea[aria-invalid=true]{border-color:#c62828;border-width:2px}
:focus-visible{outline:3px solid #1f5fd6;outline-offset:2px}
fieldset{border:0;padding:0;margin:1.5rem 0 0;min-width:0}legend{font-size:1.15rem;font-weight:600;padding:0;margin-bottom:.25rem}
fieldset.section{border:1px solid #d5dae3;border-radius:10px;padding:.25rem 1rem .75rem;margin:1.25rem 0}fieldset.section legend{font-size:1rem;padding:0 .35rem}
.checkbox label{display:inline;font-weight:400}
.help{color:#5b6475;font-size:.875rem;margin:.25rem 0 0}
.error{color:#c62828;font-size:.9rem;margin:.25rem 0 0}
.alert{padding:.75rem 1rem;border-radius:8px;margin:1rem 0}
.alert.error{background:#fdecea;color:#8e1b1b;font-size:1rem}.alert.ok{background:#e8f5e9;color:#1b5e20}
.alert ul{margin:.5rem 0 0;padding-left:1.25rem}.alert.error a{color:#8e1b1b;font-weight:600}
a{color:#1f5fd6}a.button{display:inline-block;background:#1f5fd6;color:#fff;text-decoration:none;border-radius:8px;padding:.65rem 1.2rem;font-weight:600}
button{background:#1f5fd6;color:#fff;border:0;border-radius:8px;padding:.65rem 1.2rem;font:inherit;font-weight:600;cursor:pointer}
button.danger{background:#c62828}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#5b6475}dd{margin:0;min-width:0;overflow-wrap:anywhere}
.state{display:inline-block;padding:.1rem .6rem;border-radius:999px;background:#e3e7ee}
.state-active{background:#e8f5e9;color:#1b5e20}.state-frozen{background:#e3f2fd;color:#0d47a1}
.state-inactive,.state-disconnected{background:#fdecea;color:#8e1b1b}
ol.events{padding-left:1.25rem;font-size:.9rem}ol.events time{color:#5b6475;margin-right:.5rem}
@media (max-width:480px){main{margin:0;padding:1rem;border-radius:0;box-shadow:none}dl{grid-template-columns:1fr}dt{margin-top:.5rem}button,a.button{width:100%;text-align:center}}
`;
